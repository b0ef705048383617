package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/internal/namespace"
)

// webProxy makes the appliance's web page, which listens on loopback inside
// its namespace, reachable on this machine's loopback: every connection
// accepted here is joined to one dialled inside the namespace. Nothing is
// assigned to this machine's interfaces.
type webProxy struct {
	ln     net.Listener
	ns     string
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool // both ends of every open connection
}

// startWebProxy listens on listen (this machine) and forwards to target
// inside namespace ns until Close.
func startWebProxy(listen, ns, target string) (*webProxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("web page proxy: %w", err)
	}
	p := &webProxy{ln: ln, ns: ns, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *webProxy) Addr() string { return p.ln.Addr().String() }

func (p *webProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.forward(c)
		}()
	}
}

// track adds c to the open connections (false once Close has run: c is
// closed at once) and returns the function that forgets and closes it.
func (p *webProxy) track(c net.Conn) (bool, func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		c.Close()
		return false, func() {}
	}
	p.conns[c] = true
	return true, func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}
}

func (p *webProxy) forward(c net.Conn) {
	ok, forget := p.track(c)
	defer forget()
	if !ok {
		return
	}
	up, err := dialInNS(p.ns, p.target)
	if err != nil {
		fmt.Fprintf(c, "HTTP/1.0 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nphoneflash demo: the appliance's web page is not answering: %v\n", err)
		return
	}
	ok, upDone := p.track(up)
	defer upDone()
	if !ok {
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}

// Close stops listening, closes the open connections (a browser keeps its
// own open for as long as it likes) and waits for their forwarders.
func (p *webProxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// dialInNS opens a TCP connection from inside namespace ns; the socket
// stays there.
func dialInNS(ns, addr string) (net.Conn, error) {
	var c net.Conn
	err := namespace.Do(ns, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		return err
	})
	if err != nil && c != nil {
		c.Close() // the thread could not leave the namespace
		c = nil
	}
	return c, err
}
