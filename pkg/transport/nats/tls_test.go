package nats_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
	"github.com/brinehq/brine/pkg/transport/transporttest"
)

// selfSigned writes a certificate for 127.0.0.1, its own CA, and its key
// into dir, and returns their paths.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "brine test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// Over a server that speaks TLS only, and asks for a token, workers that
// are given the CA, and the token in their environment, run the tasks; a
// client without the CA is refused.
func TestTLSAndToken(t *testing.T) {
	files := t.TempDir()
	cert, key := selfSigned(t, files)
	tmp := transporttest.ShortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	srv, err := natsserver.Start(natsserver.Config{Token: "s3cret", TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	url := "tls://" + srv.Addr().String()
	if _, err := natst.New(natst.Config{URLs: []string{url}, Token: "s3cret"}); err == nil {
		t.Error("a client that does not trust the server's certificate connected")
	}
	if _, err := natst.New(natst.Config{URLs: []string{url}, TLSCA: cert, Token: "wrong"}); err == nil {
		t.Error("a client with a wrong token connected")
	}
	tr, err := natst.New(natst.Config{URLs: []string{url}, Server: srv, Local: natst.AllLocal, TLSCA: cert, Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pool.New(bounded(t), pool.WithWorkers(1), pool.WithTransport(tr), pool.WithEnv(quickExit))
	if err != nil {
		t.Fatal(err)
	}
	checkEchoes(t, p, 50)
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	transporttest.CheckNoChildren(t)
	transporttest.CheckEmptyDir(t, tmp)
}
