package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/internal/namespace"
)

// perfdhcpStats is what one perfdhcp run reports for both exchanges.
type perfdhcpStats struct {
	DO, RA exchange
}

// exchange is one of DISCOVER-OFFER and REQUEST-ACK.
type exchange struct {
	Sent, Received, Drops int
	AvgMS                 float64
	DelaysMS              []float64 // per packet, from -x t timestamps
}

// parsePerfdhcp reads perfdhcp's report: the "Statistics for" blocks and
// the "Timestamps for packets" lists that -x t prints.
func parsePerfdhcp(r io.Reader) (perfdhcpStats, error) {
	var st perfdhcpStats
	var cur *exchange
	timestamps := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "***Statistics for: "), strings.HasPrefix(line, "***Timestamps for packets: "):
			timestamps = strings.HasPrefix(line, "***Timestamps")
			switch {
			case strings.Contains(line, "DISCOVER-OFFER"):
				cur = &st.DO
			case strings.Contains(line, "REQUEST-ACK"):
				cur = &st.RA
			default:
				cur = nil
			}
			seen = seen || !timestamps
			continue
		case strings.HasPrefix(line, "***"):
			cur = nil
			continue
		}
		if cur == nil {
			continue
		}
		if timestamps {
			if v, ok := strings.CutPrefix(line, "sent / received:"); ok {
				a, b, ok := strings.Cut(v, "/")
				sent, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
				recv, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
				if ok && err1 == nil && err2 == nil {
					cur.DelaysMS = append(cur.DelaysMS, (recv-sent)*1000)
				}
			}
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "ms"))
		switch key {
		case "sent packets":
			cur.Sent, _ = strconv.Atoi(val)
		case "received packets":
			cur.Received, _ = strconv.Atoi(val)
		case "drops":
			cur.Drops, _ = strconv.Atoi(val)
		case "avg delay":
			cur.AvgMS, _ = strconv.ParseFloat(val, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	if !seen {
		return st, fmt.Errorf("perfdhcp printed no statistics")
	}
	return st, nil
}

// dhcpCell is one server at one rate.
type dhcpCell struct {
	Server string
	Client string // perfdhcp (as a relay) or pfbench (client mode, see dhcpload.go)
	Rate   int    // DORA/s asked for; 0 = unthrottled
	Secs   int
	Stats  perfdhcpStats
	Use    usage
	Err    string
}

// Completed is ACKs per second over the run.
func (c dhcpCell) Completed() float64 { return float64(c.Stats.RA.Received) / float64(c.Secs) }

// Drops counts exchanges that got no answer: DISCOVERs without an OFFER
// plus REQUESTs without an ACK.
func (c dhcpCell) Drops() int { return c.Stats.DO.Drops + c.Stats.RA.Drops }

// runDHCPCell starts the server and runs perfdhcp from the client
// namespace for secs seconds.
func (r *rig) runDHCPCell(ctx context.Context, srv server, rate, secs int, client string) (dhcpCell, error) {
	cell := dhcpCell{Server: srv.name, Client: client, Rate: rate, Secs: secs}
	dir := filepath.Join(r.e.workDir, fmt.Sprintf("dhcp-%s-%s-%d", client, srv.name, rate))
	p, err := r.launch(ctx, srv, dir, true, 1500*time.Millisecond) // the server opens its sockets
	if err != nil {
		return cell, err
	}
	defer p.stop()
	if ok, err := p.exited(); ok {
		return cell, fmt.Errorf("pfbench: %s exited: %v (log %s)", srv.name, err, p.log.Name())
	}
	if client == "pfbench" {
		conn, err := listenDHCPClient(r.cli, cliIf)
		if err != nil {
			return cell, err
		}
		defer conn.Close()
		s := startSampler(p.cg)
		cell.Stats = doraLoad(ctx, conn, rate, time.Duration(secs)*time.Second)
		cell.Use = s.stop()
		return cell, ctx.Err()
	}
	// -B broadcast flag, random MACs out of 60k (the pool has 65k
	// addresses), -d 1: a reply later than 1 s counts as a drop.
	args := []string{"perfdhcp", "-4", "-l", cliIf, "-B", "-R", "60000", "-d", "1", "-p", strconv.Itoa(secs), "-W", "1000000", "-x", "et"}
	if rate > 0 {
		args = append(args, "-r", strconv.Itoa(rate))
	}
	s := startSampler(p.cg)
	outPath := filepath.Join(dir, "perfdhcp.out")
	out, err := os.Create(outPath)
	if err != nil {
		return cell, err
	}
	defer out.Close()
	cmd := namespace.Command(r.cli, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return cell, fmt.Errorf("pfbench: perfdhcp: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	err = cmd.Wait() // exit code 3: drops happened; the figures say so
	stop()
	cell.Use = s.stop()
	if ctx.Err() != nil {
		return cell, ctx.Err()
	}
	f, ferr := os.Open(outPath)
	if ferr != nil {
		return cell, ferr
	}
	defer f.Close()
	cell.Stats, ferr = parsePerfdhcp(f)
	if ferr != nil {
		return cell, fmt.Errorf("pfbench: perfdhcp against %s: %v: %v (output %s)", srv.name, err, ferr, outPath)
	}
	return cell, nil
}

var dhcpPlan = []struct {
	client string
	srv    server
}{
	{"pfbench", srvPhoneflash}, {"pfbench", srvKea}, {"pfbench", srvNoPing}, {"pfbench", srvDnsmasq},
	{"perfdhcp", srvKea}, {"perfdhcp", srvNoPing}, {"perfdhcp", srvDnsmasq},
}

// runDHCP runs every server at every rate, with the client-mode generator
// and, for the peers, with perfdhcp. dnsmasq with its ping check answers
// one client in about 3 s, so it runs at the lowest rate only.
func (r *rig) runDHCP(ctx context.Context, quick bool, secs int, want func(string) bool) ([]dhcpCell, error) {
	rates := []int{100, 500, 2000, 0}
	if quick {
		rates = []int{500, 2000}
	}
	var cells []dhcpCell
	for _, rate := range rates {
		for _, sc := range dhcpPlan {
			if !want(sc.srv.name) || sc.srv.name == "dnsmasq" && rate != rates[0] {
				continue
			}
			c, err := r.runDHCPCell(ctx, sc.srv, rate, secs, sc.client)
			if err != nil {
				if ctx.Err() != nil {
					return cells, ctx.Err()
				}
				c.Err = err.Error()
			}
			r.logf("dhcp %-8s %-14s rate %-5d: %7.1f DORA/s, drops %d, DO avg %.2f ms, cpu %.2f s, peak %d KB %s",
				c.Client, c.Server, c.Rate, c.Completed(), c.Drops(), c.Stats.DO.AvgMS, c.Use.CPUSec, c.Use.PeakKB, c.Err)
			cells = append(cells, c)
		}
	}
	return cells, nil
}
