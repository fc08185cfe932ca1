package statuslist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Response is a signed status list ready to serve over HTTP. The list is
// the same for every verifier, so it is safe for any shared cache and CDN
// to keep; serving it as a static file is fine.
type Response struct {
	Body        []byte
	ContentType string // JWTContentType or CWTType
	Meta        Meta
	// Now is the clock used to compute max-age; nil means time.Now.
	Now func() time.Time
}

// NewJWTResponse wraps a token from SignJWT.
func NewJWTResponse(token []byte, m Meta) Response {
	return Response{Body: token, ContentType: JWTContentType, Meta: m}
}

// NewCWTResponse wraps a token from SignCWT.
func NewCWTResponse(token []byte, m Meta) Response {
	return Response{Body: token, ContentType: CWTType, Meta: m}
}

// MaxAge is how long a cache may keep the response: the token's ttl, but
// never past its exp (a cached expired list would make every card look
// unverifiable). Zero means "revalidate every time".
func (r Response) MaxAge() time.Duration {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	age := r.Meta.TTL
	if !r.Meta.Expires.IsZero() {
		if left := r.Meta.Expires.Sub(now()); left < age || age == 0 {
			age = left
		}
	}
	return max(age.Truncate(time.Second), 0)
}

// Header returns the response headers: content type, a public
// Cache-Control with max-age from MaxAge, and a strong ETag.
func (r Response) Header() http.Header {
	sum := sha256.Sum256(r.Body)
	h := http.Header{}
	h.Set("Content-Type", r.ContentType)
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int64(r.MaxAge()/time.Second)))
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	return h
}

// ServeHTTP writes the list, answering conditional requests (If-None-Match,
// If-Modified-Since) with 304 so verifiers refresh cheaply.
func (r Response) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	for k, v := range r.Header() {
		w.Header()[k] = v
	}
	http.ServeContent(w, req, "", r.Meta.IssuedAt, bytes.NewReader(r.Body))
}

// PreferredType picks the token format for an Accept header:
// CWTType when the client asks for it (and not for the JWT form first),
// otherwise JWTContentType, the default.
func PreferredType(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mt {
		case CWTType:
			return CWTType
		case JWTContentType:
			return JWTContentType
		}
	}
	return JWTContentType
}
