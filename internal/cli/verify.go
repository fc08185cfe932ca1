package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/verify"
)

// Limits on what `cityid verify` reads: a phone photo of a card is a few
// megabytes and at most ~50 megapixels; anything larger is refused before decoding.
const (
	maxImageBytes = verify.MaxImageBytes
	maxKeysBytes  = 1 << 20
	fetchTimeout  = 15 * time.Second
)

// Reasons for input problems, reported in the same JSON shape as verification results.
const (
	reasonNoQR        = verify.ReasonNoQR
	reasonImageTooBig = verify.ReasonImageTooBig
	reasonUnreadable  = verify.ReasonUnreadable
)

// Exit statuses of `cityid verify`, so a script can tell "not valid" from
// "could not tell".
const (
	exitVerifyInvalid    = 1 // read and judged: not valid or not genuine
	exitVerifyUnreadable = 3 // no code could be read: retake the photo or rescan
	exitVerifyUnchecked  = 4 // genuine and in date, but the status (or the keys) could not be checked
)

func cmdVerify(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "verify", "verify --keys FILE|https://URL [--status FILE|URL | --offline] [--at TIME] PAYLOAD|-|IMAGE",
		"Verify a card's QR code: signature, validity and, when the card names a status list, revocation.\n"+
			"PAYLOAD is the QR text, - reads it from standard input, IMAGE is a PNG or JPEG photo of the card back\n"+
			"(read like the verifier page: several attempts, then the PDF417's card number if the QR cannot be read).\n"+
			"The status list the card names is fetched unless --status gives a copy or --offline skips it.\n"+
			"Prints one JSON object. Exit status: 0 valid; 1 not valid or not genuine; 2 usage;\n"+
			"3 the code could not be read (retake the photo); 4 the status or the keys could not be checked.")
	keysFrom := fs.String("keys", "", "the city's public keys: JWK set (or COSE key set) file or https URL (required; plain http is refused)")
	statusFrom := fs.String("status", "", "status list token (statuslist+jwt or +cwt) file or URL, instead of fetching the list the card names")
	offline := fs.Bool("offline", false, "do not check the status list: a valid result then says status \"not_checked\"")
	atFlag := fs.String("at", "", "judge validity at this RFC 3339 time instead of now")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *keysFrom == "" {
		fs.Usage()
		return errUsage
	}
	if strings.HasPrefix(strings.ToLower(*keysFrom), "http://") {
		// The keys are the trust anchor: fetched in the clear, anyone on the
		// path could swap in their own and make a forged card "valid".
		fmt.Fprintf(stdio.Err, "cityid verify: --keys %s: plain http is refused for the city's keys; use an https URL or a file\n", *keysFrom)
		return errUsage
	}
	if *offline && *statusFrom != "" {
		fmt.Fprintln(stdio.Err, "cityid verify: --offline and --status exclude each other")
		return errUsage
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			fmt.Fprintf(stdio.Err, "cityid verify: --at: %v\n", err)
			return errUsage
		}
		at = t
	}
	client := &http.Client{Timeout: fetchTimeout}
	raw, err := readSource(ctx, client, *keysFrom, maxKeysBytes)
	if err != nil {
		fmt.Fprintf(stdio.Err, "cityid verify: read keys: %v\n", err)
		return exitError{exitVerifyUnchecked}
	}
	keys, err := parseKeySet(raw)
	if err != nil {
		fmt.Fprintf(stdio.Err, "cityid verify: keys from %s: %v\n", *keysFrom, err)
		return exitError{exitVerifyUnchecked}
	}
	v := &verify.Verifier{Keys: keys}
	switch s := *statusFrom; {
	case *offline:
	case s == "":
		v.Status = verify.NewListSource(verify.HTTPFetch(client, ""), keys, time.Now) // the list the card names
	case isURL(s):
		v.Status = verify.NewListSource(verify.HTTPFetch(client, s), keys, time.Now)
	default:
		v.Status = verify.NewListSource(verify.FileFetch(s), keys, time.Now)
	}
	in, reason, err := readPayload(stdio.In, fs.Arg(0))
	var res verify.Result
	switch {
	case err != nil:
		fmt.Fprintf(stdio.Err, "cityid verify: %v\n", err)
		res = verify.InputResult(reason)
	case in.Number != "":
		// Only the unsigned PDF417 was read. The command works offline,
		// so the city's records are not asked about the number.
		fmt.Fprintf(stdio.Err, "cityid verify: the QR code could not be read; the barcode (PDF417) gives card number %s. "+
			"It is not signed: the photo, the signature and the city's records were not checked.\n", in.Number)
		res = verify.BarcodeResult(in.Number, verify.RecordUnavailable)
	default:
		res = v.Verify(ctx, in.QR, at)
	}
	enc := json.NewEncoder(stdio.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	switch res.Outcome {
	case verify.OutcomeValid:
		return nil
	case verify.OutcomeUnreadable:
		fmt.Fprintln(stdio.Err, "cityid verify: the code could not be read; this says nothing about the card. Retake the photo: card flat, close, in focus, no glare.")
		return exitError{exitVerifyUnreadable}
	case verify.OutcomeUnknown:
		fmt.Fprintln(stdio.Err, "cityid verify: the card is genuine and in date, but its status list could not be checked (pass --offline to skip the status check)")
		return exitError{exitVerifyUnchecked}
	}
	return exitError{exitVerifyInvalid}
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// readSource reads a file or fetches an http(s) URL, at most limit bytes.
func readSource(ctx context.Context, client *http.Client, src string, limit int64) ([]byte, error) {
	var r io.Reader
	if isURL(src) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s answered %s", src, resp.Status)
		}
		r = resp.Body
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", src, limit)
	}
	return b, nil
}

// parseKeySet accepts a JWK set (JSON) or a COSE key set (CBOR).
func parseKeySet(b []byte) (*signing.KeySet, error) {
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		return signing.ParseJWKS(b)
	}
	return signing.ParseCOSE(b)
}

// readPayload returns the QR text from the argument, standard input or an
// image file (or, for a photo whose QR cannot be read, the card number of
// its PDF417); on failure it also returns the reason code to report.
func readPayload(stdin io.Reader, arg string) (verify.Photo, string, error) {
	if arg == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, claim169.MaxPayloadLen+64))
		if err != nil {
			return verify.Photo{}, reasonUnreadable, err
		}
		return verify.Photo{QR: strings.TrimSpace(string(b))}, "", nil
	}
	fi, err := os.Stat(arg)
	if err != nil || !fi.Mode().IsRegular() {
		// Not a file: the argument is the payload itself.
		return verify.Photo{QR: strings.TrimSpace(arg)}, "", nil
	}
	if fi.Size() > maxImageBytes {
		return verify.Photo{}, reasonImageTooBig, fmt.Errorf("%s is %d bytes; images over %d bytes are refused", arg, fi.Size(), maxImageBytes)
	}
	return decodeCardImage(arg)
}

// decodeCardImage reads a PNG or JPEG photo of a card back with the same
// decoder as the verifier page and API: the QR code after several attempts,
// else the PDF417's card number.
func decodeCardImage(path string) (verify.Photo, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return verify.Photo{}, reasonUnreadable, err
	}
	defer f.Close()
	ph, err := verify.DecodeCardImage(f, maxImageBytes)
	if err != nil {
		return verify.Photo{}, verify.InputReason(err), fmt.Errorf("%s: %w", path, err)
	}
	return ph, "", nil
}
