package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

func TestIntegrationWebProxy(t *testing.T) {
	nettest.RequireRoot(t)
	ns := nettest.NS(t, nettest.Unique("pfdw"))
	ln, err := nettest.Open(ns, func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") })
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "status page from inside "+r.URL.Path)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	p, err := startWebProxy("127.0.0.1:0", ns, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + p.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The server listens on loopback inside the namespace only; our
	// loopback reaches it through the proxy.
	if code, body := get("/api/phones"); code != 200 || body != "status page from inside /api/phones" {
		t.Errorf("through the proxy: %d %q", code, body)
	}
	// A browser keeps its connection open after a page: Close must not
	// wait for it (the demo's Ctrl-C did, for as long as a tab was open).
	idle, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET /keep HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if n, err := idle.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "inside /keep") {
		t.Fatalf("kept-alive request: %q %v", buf[:n], err)
	}
	srv.Close()
	if code, body := get("/"); code != http.StatusBadGateway || !strings.Contains(body, "not answering") {
		t.Errorf("with the page down: %d %q, want 502 saying so", code, body)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for a browser's open connection")
	}
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(buf); err == nil {
		t.Error("the browser's connection stays open after Close")
	}
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Error("the proxy still listens after Close")
	}
}
