package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/vishvananda/netns"
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
}

// startWebProxy listens on listen (this machine) and forwards to target
// inside namespace ns until Close.
func startWebProxy(listen, ns, target string) (*webProxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("web page proxy: %w", err)
	}
	p := &webProxy{ln: ln, ns: ns, target: target}
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

func (p *webProxy) forward(c net.Conn) {
	defer c.Close()
	up, err := dialInNS(p.ns, p.target)
	if err != nil {
		fmt.Fprintf(c, "HTTP/1.0 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nphoneflash demo: the appliance's web page is not answering: %v\n", err)
		return
	}
	defer up.Close()
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

// Close stops listening and waits for open connections to end.
func (p *webProxy) Close() error {
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// dialInNS opens a TCP connection from inside namespace ns: on a locked
// thread switched into ns; the socket stays there.
func dialInNS(ns, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			res <- result{err: err}
			return // the thread ends with the locked goroutine
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			res <- result{err: fmt.Errorf("namespace %s: %w", ns, err)}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			res <- result{err: fmt.Errorf("entering %s: %w", ns, err)}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c, derr := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		cancel()
		if err := netns.Set(orig); err != nil {
			if c != nil {
				c.Close()
			}
			res <- result{err: fmt.Errorf("leaving %s: %w", ns, err)}
			return // never reuse a thread stuck in the wrong namespace
		}
		runtime.UnlockOSThread()
		res <- result{c: c, err: derr}
	}()
	r := <-res
	return r.c, r.err
}
