package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/internal/namespace"
	"github.com/phoneflash/phoneflash/internal/tftpclient"
)

// image is one file every client fetches, with its expected content.
type image struct {
	Name string
	Size int64
	Sum  [32]byte
}

// tftpCell is one repetition of one server at one client count.
type tftpCell struct {
	Server  string
	N       int
	Blksize int // asked for; 0 = no options
	Granted int // what the server granted (512 without options)
	Rep     int
	Bytes   int64
	Wall    time.Duration
	Sets    []time.Duration // per client: all five images
	Failed  int             // transfers that failed or came back short
	HashOK  bool            // client 0's files hash as expected
	Err     string          // first failure
	Use     usage
}

// MBps is the aggregate throughput in 10^6 bytes per second.
func (c tftpCell) MBps() float64 { return float64(c.Bytes) / c.Wall.Seconds() / 1e6 }

// CPUPerGB is the server's CPU seconds per 10^9 bytes delivered.
func (c tftpCell) CPUPerGB() float64 {
	if c.Bytes == 0 {
		return 0
	}
	return c.Use.CPUSec / (float64(c.Bytes) / 1e9)
}

// tftpPlan is the order of the cells: per client count and repetition,
// every server once, rotated so no server always goes first.
type tftpPlanItem struct {
	srv   server
	n, bs int
	rep   int
}

func tftpPlan(servers []server, ns []int, reps, bigN int) []tftpPlanItem {
	var plan []tftpPlanItem
	k := 0
	add := func(n, bs int) {
		for rep := 1; rep <= reps; rep++ {
			for i := range servers {
				s := servers[(i+k)%len(servers)]
				plan = append(plan, tftpPlanItem{srv: s, n: n, bs: bs, rep: rep})
			}
			k++
		}
	}
	for _, n := range ns {
		add(n, 0)
	}
	if bigN > 0 {
		add(bigN, 1428)
	}
	return plan
}

// runTFTPCell starts the server, lets n clients fetch every image at once
// and stops the server.
func (r *rig) runTFTPCell(ctx context.Context, it tftpPlanItem, images []image, probe string) (tftpCell, error) {
	cell := tftpCell{Server: it.srv.name, N: it.n, Blksize: it.bs, Rep: it.rep}
	dir := filepath.Join(r.e.workDir, fmt.Sprintf("tftp-%s-n%d-b%d-r%d", it.srv.name, it.n, it.bs, it.rep))
	p, err := r.launch(ctx, it.srv, dir, false, 0)
	if err != nil {
		return cell, err
	}
	defer p.stop()
	if err := r.waitTFTP(ctx, p, probe); err != nil {
		return cell, err
	}
	conns, err := r.clientConns(it.n, len(images))
	if err != nil {
		return cell, err
	}
	closeAll := func() {
		for _, cs := range conns {
			for _, c := range cs {
				c.Close()
			}
		}
	}
	defer closeAll()
	defer context.AfterFunc(ctx, closeAll)() // Ctrl-C ends the transfers at once
	s := startSampler(p.cg)
	cell.Sets = make([]time.Duration, it.n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	server := net.UDPAddrFromAddrPort(netip.AddrPortFrom(serverAddr, 69))
	start := time.Now()
	for i := range it.n {
		wg.Go(func() {
			set := time.Now()
			for j, img := range images {
				c := tftpclient.Client{BlockSize: it.bs, Timeout: 4 * time.Second, Retries: 3}
				h := sha256.New()
				res, err := c.Get(ctx, conns[i][j], server, img.Name, h)
				mu.Lock()
				cell.Bytes += res.Bytes
				if err == nil && res.Bytes != img.Size {
					err = fmt.Errorf("%s: %d bytes, want %d", img.Name, res.Bytes, img.Size)
				}
				if err == nil && i == 0 && !bytes.Equal(h.Sum(nil), img.Sum[:]) {
					err = fmt.Errorf("%s: sha256 differs", img.Name)
				}
				if err != nil {
					cell.Failed++
					if cell.Err == "" {
						cell.Err = err.Error()
					}
				}
				cell.Granted = max(cell.Granted, res.BlockSize)
				mu.Unlock()
			}
			cell.Sets[i] = time.Since(set)
		})
	}
	wg.Wait()
	cell.Wall = time.Since(start)
	cell.Use = s.stop()
	cell.HashOK = cell.Failed == 0
	return cell, ctx.Err()
}

// clientConns opens files sockets for each of n clients inside the client
// namespace, client i on its own address, each on a fresh port.
func (r *rig) clientConns(n, files int) ([][]*net.UDPConn, error) {
	conns := make([][]*net.UDPConn, n)
	err := namespace.Do(r.cli, func() error {
		for i := range n {
			for range files {
				c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(r.clientIPs[i], 0)))
				if err != nil {
					return fmt.Errorf("pfbench: client socket: %w", err)
				}
				conns[i] = append(conns[i], c)
			}
		}
		return nil
	})
	return conns, err
}

// runTFTP runs the whole plan and returns every cell.
func (r *rig) runTFTP(ctx context.Context, servers []server, ns []int, reps, bigN int, images []image, probe string) ([]tftpCell, error) {
	var cells []tftpCell
	for _, it := range tftpPlan(servers, ns, reps, bigN) {
		c, err := r.runTFTPCell(ctx, it, images, probe)
		if err != nil {
			if ctx.Err() != nil {
				return cells, ctx.Err()
			}
			c.Err = err.Error()
			c.Failed = it.n * len(images)
		}
		r.logf("tftp %-10s N=%-3d blk=%-4d rep %d: %6.1f MB/s, %d failed, cpu %.2f s, peak %d KB %s",
			c.Server, c.N, c.Granted, c.Rep, c.MBps(), c.Failed, c.Use.CPUSec, c.Use.PeakKB, c.Err)
		cells = append(cells, c)
	}
	return cells, nil
}
