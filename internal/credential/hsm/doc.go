// Package hsm signs credentials with a key held in a hardware security module
// (or any PKCS#11 token, such as SoftHSM2), so the private key never leaves the
// token. It yields signing.Signer values, interchangeable with the file-based
// keyring's signers.
//
// The PKCS#11 code needs cgo and github.com/ThalesGroup/crypto11, so it is built
// only with the "pkcs11" build tag (go build -tags pkcs11). Without the tag the
// build stays pure Go and Open reports ErrNotBuilt.
package hsm
