// Package zxingtest reads barcodes with zxing-cpp's command-line reader
// (Debian's zxing-cpp-tools), the independent decoder the tests check
// cityid's printed codes against. It imports nothing of cityid, so any
// package's tests can use it.
package zxingtest

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Reader is where Debian installs zxing-cpp's reader.
const Reader = "/usr/bin/ZXingReader"

// Read decodes img as format ("QRCode", "PDF417") and returns the bytes
// read; the test is skipped where the reader is not installed.
func Read(t testing.TB, img image.Image, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return ReadPNG(t, buf.Bytes(), format)
}

// ReadPNG is Read on an encoded PNG.
func ReadPNG(t testing.TB, pngBytes []byte, format string) []byte {
	t.Helper()
	if _, err := os.Stat(Reader); err != nil {
		t.Skipf("%s is absent (Debian package zxing-cpp-tools): %v", Reader, err)
	}
	path := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(path, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(Reader, "-format", format, "-bytes", path).Output()
	if err != nil {
		t.Fatalf("ZXingReader -format %s: %v", format, err)
	}
	return out
}
