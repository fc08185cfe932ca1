-- cityid schema 20: the application lists read a page in order from an
-- index instead of sorting every row of a site (1.7 s at 150,000 rows a
-- site on PostgreSQL under load). The expression is the list's order
-- (store.listOrder): when a draft was last touched, else when submitted.
-- ListApplications asks one status at a time, so (status, order) and
-- (site, status, order) serve every list, queue and filter.
CREATE INDEX applications_status_order ON applications(status, (CASE WHEN submitted_at = 0 THEN updated_at ELSE submitted_at END), id);
CREATE INDEX applications_site_status_order ON applications(site_id, status, (CASE WHEN submitted_at = 0 THEN updated_at ELSE submitted_at END), id);
