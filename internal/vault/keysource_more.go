package vault

import (
	"fmt"
	"io"
	"sync"
)

// CredentialFile is a key file that the service manager hands the process
// read-only: systemd's LoadCredential= or LoadCredentialEncrypted= (sealed
// to the machine's TPM, or to a key only the host holds) puts it in
// $CREDENTIALS_DIRECTORY, readable by the service alone and never on the
// data disk. It is neither created nor rotated in place: the operator
// rotates the key file it comes from (with --master-key-file) and
// re-encrypts the credential.
type CredentialFile struct{ Path string }

var _ KeySource = CredentialFile{}

// LoadKeys reads the credential (see LoadKeyFile).
func (c CredentialFile) LoadKeys() (*Keys, error) { return LoadKeyFile(c.Path) }

// String says it is a service-manager credential, and where.
func (c CredentialFile) String() string { return "service credential " + c.Path }

// KeyStream is a key set read once from a stream — a file descriptor that a
// secrets tool or the service manager opened (--master-key-fd), so the key
// never touches a disk this program writes to. The stream is read at the
// first LoadKeys (and closed, if it is an io.Closer); later calls return
// the same keys.
type KeyStream struct {
	Name string // for messages, e.g. "file descriptor 3"
	R    io.Reader

	once sync.Once
	keys *Keys
	err  error
}

var _ KeySource = (*KeyStream)(nil)

// LoadKeys reads and parses the stream (the key file format) once.
func (s *KeyStream) LoadKeys() (*Keys, error) {
	s.once.Do(func() {
		data, err := io.ReadAll(io.LimitReader(s.R, maxKeyFileSize+1))
		defer clear(data)
		if c, ok := s.R.(io.Closer); ok {
			c.Close()
		}
		switch {
		case err != nil:
			s.err = fmt.Errorf("vault: master key from %s: %w", s.Name, err)
		case len(data) == 0:
			s.err = fmt.Errorf("vault: master key from %s: nothing to read (is the key file behind it empty?)", s.Name)
		case len(data) > maxKeyFileSize:
			s.err = fmt.Errorf("vault: master key from %s is larger than %d bytes; it is not a cityid key file", s.Name, maxKeyFileSize)
		default:
			if s.keys, err = parseKeyFile(data); err != nil {
				s.err = fmt.Errorf("vault: master key from %s: %w", s.Name, err)
			}
		}
	})
	return s.keys, s.err
}

// String names the stream.
func (s *KeyStream) String() string { return s.Name }
