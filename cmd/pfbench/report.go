package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is everything one run measured.
type report struct {
	Date      time.Time
	Machine   string
	Quick     bool
	Reps      int
	Timescale float64
	DHCPSecs  int
	Versions  map[string]string
	TFTP      []tftpCell
	DHCP      []dhcpCell
	Whole     *wholeBench
	Mem       memFigures
}

var tftpOrder = []string{"phoneflash", "tftpd-hpa", "dnsmasq", "atftpd"}

func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# phoneflash benchmarks, %s\n\n", r.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s.\n", r.Machine)
	if len(r.Versions) > 0 {
		var vs []string
		for _, k := range slices.Sorted(maps.Keys(r.Versions)) {
			vs = append(vs, fmt.Sprintf("%s %s", k, r.Versions[k]))
		}
		fmt.Fprintf(&b, "Versions: %s.\n", strings.Join(vs, ", "))
	}
	if r.Quick {
		b.WriteString("**Quick run** (-quick): one repetition, short cells; figures are a smoke test, not results.\n")
	}
	b.WriteString("Servers and clients run in network namespaces over one veth pair and share the CPUs, so read the figures as relative.\n")
	if len(r.TFTP) > 0 {
		r.tftpSection(&b)
	}
	if len(r.DHCP) > 0 {
		r.dhcpSection(&b)
	}
	if r.Whole != nil {
		r.wholeSection(&b)
	}
	r.memSection(&b)
	return b.String()
}

func (r *report) tftpSection(b *strings.Builder) {
	fmt.Fprintf(b, "\n## TFTP, phone-shaped\n\nN clients start together, each on its own address, and fetch the five SIP 9.4(2)SR1 images "+
		"(8,395,271 bytes, synthetic) in order with plain RRQs (octet, no options: 512-byte lock-step, 4 s timeout, 3 retries), "+
		"like a 7906G; the blksize row asks for 1428. Servers are interleaved, restarted per cell; each cell %d time(s): "+
		"median [min-max]. Times are one client's five images. CPU is the server's cgroup; memory the peak of summed PSS, sampled every 100 ms.\n\n", r.Reps)
	b.WriteString("| blksize | N | server | MB/s | set s p50 / p99 | CPU s/GB | peak PSS KB | procs/threads | failed | bytes+sha256 |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	rows := tftpRows(r.TFTP, tftpOrder)
	for _, row := range rows {
		bs := "512"
		if row.Blksize > 0 {
			bs = fmt.Sprintf("%d (got %d)", row.Blksize, row.Granted)
		}
		ok := "ok"
		if !row.HashOK {
			ok = "**FAILED**: " + row.Err
		}
		if row.Reps == 0 {
			fmt.Fprintf(b, "| %s | %d | %s | - | - | - | - | - | %d | %s |\n", bs, row.N, row.Server, row.Failed, ok)
			continue
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %.2f / %.2f | %s | %.0f | %d/%d | %d | %s |\n", bs, row.N, row.Server,
			fmtSpread(row.MBps, 1), row.P50, row.P99, fmtSpread(row.CPUPerGB, 1), row.PeakKB.Median, row.Procs, row.Threads, row.Failed, ok)
	}
	b.WriteString("\nTargets (512-byte blocks; best peer = highest MB/s, lowest CPU/GB, lowest memory among tftpd-hpa, dnsmasq, atftpd):\n\n")
	for _, n := range []int{16, 64} {
		if line := tftpTarget(rows, n); line != "" {
			b.WriteString(line)
		}
	}
}

func fmtSpread(s spread, prec int) string {
	return fmt.Sprintf("%.*f [%.*f-%.*f]", prec, s.Median, prec, s.Min, prec, s.Max)
}

// tftpTarget compares phoneflash with the best peer at n clients.
func tftpTarget(rows []tftpRow, n int) string {
	var pf *tftpRow
	var bestMB, bestCPU, bestKB tftpRow
	for i, row := range rows {
		if row.N != n || row.Blksize != 0 || row.Failed > 0 || row.Reps == 0 {
			continue
		}
		if row.Server == "phoneflash" {
			pf = &rows[i]
			continue
		}
		if bestMB.Server == "" || row.MBps.Median > bestMB.MBps.Median {
			bestMB = row
		}
		if bestCPU.Server == "" || row.CPUPerGB.Median < bestCPU.CPUPerGB.Median {
			bestCPU = row
		}
		if bestKB.Server == "" || row.PeakKB.Median < bestKB.PeakKB.Median {
			bestKB = row
		}
	}
	if pf == nil || bestMB.Server == "" {
		return ""
	}
	return fmt.Sprintf("- N = %d: throughput %.2fx %s (target >= 1.0x); CPU/GB %.2fx %s (target <= 1.2x); peak memory %.2fx %s (target <= 1.2x)\n",
		n, pf.MBps.Median/bestMB.MBps.Median, bestMB.Server, pf.CPUPerGB.Median/bestCPU.CPUPerGB.Median, bestCPU.Server,
		pf.PeakKB.Median/bestKB.PeakKB.Median, bestKB.Server)
}

func rateName(rate int) string {
	if rate == 0 {
		return "max"
	}
	return fmt.Sprint(rate)
}

func (r *report) dhcpSection(b *strings.Builder) {
	fmt.Fprintf(b, "\n## DHCP\n\nperfdhcp always acts as a relay agent for DHCPv4 (source port 67, hops 1, giaddr set), and phoneflash drops relayed "+
		"requests by design (a bench has no relay; a forged giaddr is a reflection vector), so rates are measured twice: with pfbench's client-mode "+
		"generator against every server (DISCOVER from 0.0.0.0:68 with the broadcast flag, a REQUEST per OFFER, random MACs out of 60k, "+
		"a reply later than 1 s is a drop; max = closed loop with %d exchanges in flight), and with ", maxInFlight)
	fmt.Fprintf(b, "`perfdhcp -4 -l IF -B -R 60000 -d 1 [-r RATE] -p %d -W 1000000 -x et` from the client namespace: "+
		"broadcast flag, random MACs out of 60k, a reply later than 1 s counts as a drop. Every server leases 198.19.0.0-198.19.255.254 "+
		"with options 66 and 150, from a fresh state per cell. Completed = ACKs / %d s; drops = DISCOVERs without OFFER + REQUESTs without ACK; "+
		"p99 from perfdhcp's per-packet timestamps. dnsmasq with its ping check runs at the lowest rate only.\n\n", r.DHCPSecs, r.DHCPSecs)
	b.WriteString("| client | server | target DORA/s | completed DORA/s | drops | DO avg / p99 ms | RA avg / p99 ms | CPU s | peak PSS KB |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.DHCP {
		if c.Err != "" {
			fmt.Fprintf(b, "| %s | %s | %s | **error**: %s | | | | | |\n", c.Client, c.Server, rateName(c.Rate), c.Err)
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.0f | %d | %.2f / %.2f | %.2f / %.2f | %.2f | %d |\n", c.Client, c.Server, rateName(c.Rate), c.Completed(), c.Drops(),
			c.Stats.DO.AvgMS, percentile(c.Stats.DO.DelaysMS, 99), c.Stats.RA.AvgMS, percentile(c.Stats.RA.DelaysMS, 99), c.Use.CPUSec, c.Use.PeakKB)
	}
	var pf, kea *dhcpCell
	for i, c := range r.DHCP {
		if c.Rate == 2000 && c.Err == "" && c.Client == "pfbench" {
			switch c.Server {
			case "phoneflash":
				pf = &r.DHCP[i]
			case "kea":
				kea = &r.DHCP[i]
			}
		}
	}
	if pf != nil && kea != nil {
		fmt.Fprintf(b, "\nTarget at 2000/s (client mode): phoneflash completed %.0f DORA/s with %d drops, Kea %.0f (target: at least Kea's rate, 0 drops).\n",
			pf.Completed(), pf.Drops(), kea.Completed())
	}
}

func (r *report) wholeSection(b *strings.Builder) {
	w := r.Whole
	fmt.Fprintf(b, "\n## Whole bench\n\n%d simulated phones (phonesim, formatted with an old loader, models %s in turn) on %d ports, "+
		"4 per port behind a bridge, all powered on at once; phoneflash takes each through its family's SCCP 8.5(2) stepping stone to its SIP 9.4(2) target "+
		"and a SIP config. Time scale %g: phone-side delays (1 s cold boot, 15 s per reboot, 10 s per MiB of flash write) are divided by %g; "+
		"TFTP runs in real time. A phone's own delay is the sum of those delays over its boots, reboots and flash writes.\n\n",
		w.Phones, strings.Join(w.Models, ", "), benchPorts, w.Timescale, w.Timescale)
	if w.Err != "" {
		fmt.Fprintf(b, "**Incomplete**: %s\n\n", w.Err)
	}
	own := slicesMaxDur(w.Own)
	per := seconds(w.PerPhone)
	var over []float64
	for i := range w.PerPhone {
		over = append(over, (w.PerPhone[i] - w.Own[i]).Seconds())
	}
	b.WriteString("| phones done | wall until all done | longest own delay | overhead | per phone start-to-done p50 / max | per phone beyond own delay p50 / max | phoneflash CPU s | peak PSS KB |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(b, "| %d/%d | %.1f s | %.1f s | %.1f %% | %.1f / %.1f s | %.1f / %.1f s | %.2f | %d |\n", w.Done, w.Phones, w.Wall.Seconds(), own.Seconds(),
		w.Overhead(), percentile(per, 50), percentile(per, 100), percentile(over, 50), percentile(over, 100), w.Use.CPUSec, w.Use.PeakKB)
}

func (r *report) memSection(b *strings.Builder) {
	m := r.Mem
	var at64 []float64
	for _, c := range r.TFTP {
		if c.Server == "phoneflash" && c.N == 64 && c.Blksize == 0 {
			at64 = append(at64, float64(c.Use.PeakKB))
		}
	}
	if m.IdleKB == 0 && len(at64) == 0 && m.Arm64Bytes == 0 {
		return
	}
	b.WriteString("\n## phoneflash's footprint\n\n")
	if m.IdleKB > 0 {
		fmt.Fprintf(b, "- idle (one port, firmware store loaded, no traffic): %d KB PSS, %d process(es), %d threads\n", m.IdleKB, m.IdleProcs, m.IdleThr)
	}
	if len(at64) > 0 {
		fmt.Fprintf(b, "- at 64 concurrent transfers: %.0f KB PSS peak (median of %d)\n", spreadOf(at64).Median, len(at64))
	}
	if m.Arm64Bytes > 0 {
		fmt.Fprintf(b, "- linux/arm64 binary: %d bytes (%.1f MiB)\n", m.Arm64Bytes, float64(m.Arm64Bytes)/(1<<20))
	}
}
