-- cityid schema 15: find the pre-application an application was made from,
-- so a resident who asked for notices hears when the card is printed
-- (resident.CardReady) without a scan of every pre-application.
CREATE INDEX preapplications_application ON preapplications(application_id) WHERE application_id <> '';
