package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// The whole bench: phoneflash in an appliance namespace with 4 ports, each
// port a bridge there with 4 phone namespaces behind it, 16 phonesim
// processes that start formatted with an old loader (of the models asked
// for, in turn), and an account table so every phone ends done on its
// family's SIP target through the family's stepping stone.
const (
	benchPorts    = 4
	phonesPerPort = 4
)

// Phone-side delays at scale 1, as phonesim is started below: a 1 s cold
// boot (-coldboot-max 1s), 15 s per reboot, 10 s per MiB written to flash,
// and after a refused term file a 1 s pair gap and a 90 s retry wait.
const (
	coldBoot   = time.Second
	rebootTime = 15 * time.Second
	writePerMB = 10 * time.Second
	retryWait  = 90 * time.Second
	pairGap    = time.Second
)

// phoneResult is the part of phonesim's -result JSON the bench reads.
type phoneResult struct {
	MAC        string           `json:"mac"`
	State      string           `json:"state"`
	Load       string           `json:"load"`
	Exit       string           `json:"exit"`
	Boots      int              `json:"boots"`
	Reboots    int              `json:"reboots"`
	Rejections int              `json:"rejections"`
	ElapsedMS  int64            `json:"elapsed_ms"`
	ReachedMS  map[string]int64 `json:"reached_ms"`
	Requests   []struct {
		Name    string `json:"name"`
		Outcome string `json:"outcome"`
		Bytes   int64  `json:"bytes"`
	} `json:"requests"`
}

// ownDelay is the time the phone spends on its own (booting, rebooting,
// writing flash, waiting to retry), at scale 1.
func (p phoneResult) ownDelay() time.Duration {
	var written int64
	for _, r := range p.Requests {
		if r.Outcome == "ok" && strings.HasSuffix(r.Name, ".sbn") {
			written += r.Bytes
		}
	}
	return time.Duration(p.Boots)*coldBoot + time.Duration(p.Reboots)*rebootTime +
		time.Duration(float64(writePerMB)*float64(written)/(1<<20)) +
		time.Duration(p.Rejections)*(pairGap+retryWait)
}

// wholeBench is part 3's figures.
type wholeBench struct {
	Phones    int
	Models    []string // the phones' models, given in turn
	Done      int
	Timescale float64
	Wall      time.Duration   // first phone started .. last phone done
	Own       []time.Duration // per phone, scaled
	PerPhone  []time.Duration // per phone: start .. done
	Use       usage           // phoneflash
	Err       string
}

// Overhead is the wall time beyond the longest phone's own delays, in
// percent of them.
func (w wholeBench) Overhead() float64 {
	own := slicesMaxDur(w.Own)
	if own == 0 {
		return 0
	}
	return 100 * (w.Wall.Seconds() - own.Seconds()) / own.Seconds()
}

func slicesMaxDur(v []time.Duration) time.Duration {
	var m time.Duration
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// runWholeBench builds the bench, runs it to the end and tears it down.
func runWholeBench(ctx context.Context, e *env, bin string, timescale float64, models []firmware.Model) (wholeBench, error) {
	wb := wholeBench{Phones: benchPorts * phonesPerPort, Timescale: timescale}
	for _, m := range models {
		wb.Models = append(wb.Models, m.Number())
	}
	defer e.Undo()
	dir := filepath.Join(e.workDir, "whole")
	app, ports, phones, err := wholeNetwork(e, wb.Models)
	if err != nil {
		return wb, err
	}
	fw, state := filepath.Join(dir, "firmware"), filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return wb, err
	}
	if err := importFirmware(bin, fw, filepath.Join(dir, "cop"), wholeLoads(models)); err != nil {
		return wb, err
	}
	acc := filepath.Join(dir, "accounts.csv")
	rows := "MAC,Port,Extension,Display Name,Auth_Name,Password,PBX_Host,PBX_Port\n"
	for i := range wb.Phones {
		rows += fmt.Sprintf(",,%d,Bench %d,,benchpw%d,192.0.2.10,\n", 2001+i, i+1, i)
	}
	if err := os.WriteFile(acc, []byte(rows), 0o644); err != nil {
		return wb, err
	}
	p, err := e.start(app, "whole-phoneflash", filepath.Join(bin, "phoneflash"), "serve",
		"-ports", strings.Join(ports, ","), "-uplink", prefix+"-none", "-board", "none", "-http", "",
		"-firmware", fw, "-state", state, "-accounts", acc, "-time-scale", fmt.Sprint(min(1, 1/timescale)))
	if err != nil {
		return wb, err
	}
	defer p.stop()
	r := &rig{e: e, srv: app}
	for i, port := range ports {
		if err := r.waitAddr(p, port, appliancePortAddr(i)); err != nil {
			return wb, err
		}
	}
	s := startSampler(p.cg)
	results, wall, err := runPhones(ctx, e, bin, dir, phones, timescale)
	wb.Use, wb.Wall = s.stop(), wall
	if err != nil {
		return wb, err
	}
	for _, res := range results {
		if res.State == "done" {
			wb.Done++
		}
		wb.Own = append(wb.Own, time.Duration(float64(res.ownDelay())/timescale))
		wb.PerPhone = append(wb.PerPhone, time.Duration(res.ReachedMS["done"])*time.Millisecond)
	}
	if wb.Done < wb.Phones {
		wb.Err = fmt.Sprintf("%d of %d phones reached done (logs in %s)", wb.Done, wb.Phones, dir)
	}
	return wb, nil
}

// appliancePortAddr is the address phoneflash gives port i by default.
func appliancePortAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 79, byte(i + 1), 1}) }

// benchPhone is one phone's namespace and interface.
type benchPhone struct {
	ns, ifname, mac, model string
}

// wholeLoads are the stepping stone and the SIP target of every family
// among models, each once.
func wholeLoads(models []firmware.Model) []fwgen.Load {
	var loads []fwgen.Load
	var seen []string
	for _, m := range models {
		if slices.Contains(seen, m.Family) {
			continue
		}
		seen = append(seen, m.Family)
		f := fwgen.Builtin(m.Family)
		loads = append(loads, f.Stone(), f.Target())
	}
	return loads
}

// wholeNetwork creates the appliance namespace with one bridge per port
// and the phones' namespaces behind them; phone k is of models[k%len].
func wholeNetwork(e *env, models []string) (app string, ports []string, phones []benchPhone, err error) {
	if app, err = e.ns("app"); err != nil {
		return
	}
	for i := range benchPorts {
		br := fmt.Sprintf("%sb%d", prefix, i+1)
		var members []string
		for j := range phonesPerPort {
			var ns string
			if ns, err = e.ns(fmt.Sprintf("ph%d%d", i+1, j+1)); err != nil {
				return
			}
			a, b := fmt.Sprintf("%s%d%da", prefix, i+1, j+1), fmt.Sprintf("%s%d%dp", prefix, i+1, j+1)
			if err = namespace.Veth(app, a, ns, b); err != nil {
				return
			}
			members = append(members, a)
			model := models[len(phones)%len(models)]
			phones = append(phones, benchPhone{ns: ns, ifname: b, mac: fmt.Sprintf("00:22:90:00:%02x:%02x", i+1, j+1), model: model})
		}
		if err = namespace.Bridge(app, br, members...); err != nil {
			return
		}
		ports = append(ports, br)
	}
	return
}

// runPhones starts every phone at once and waits until all have exited
// (done, or failed). The wall time ends when the last phone is done.
func runPhones(ctx context.Context, e *env, bin, dir string, phones []benchPhone, timescale float64) ([]phoneResult, time.Duration, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	results := make([]phoneResult, len(phones))
	start := time.Now()
	var last time.Duration
	for k, ph := range phones {
		pd := filepath.Join(dir, fmt.Sprintf("phone%02d", k+1))
		if err := os.MkdirAll(pd, 0o755); err != nil {
			return nil, 0, err
		}
		resPath := filepath.Join(pd, "result.json")
		p, err := e.start(ph.ns, fmt.Sprintf("phone%02d", k+1), filepath.Join(bin, "phonesim"),
			"-iface", ph.ifname, "-mac", ph.mac, "-model", ph.model, "-flash", filepath.Join(pd, "flash.json"),
			"-scenario", "formatted-old", "-timescale", fmt.Sprint(timescale), "-coldboot-max", "1s",
			"-retry-min", "90s", "-retry-max", "90s", "-until", "done", "-result", resPath,
			"-seed", fmt.Sprint(k+1), "-max-time", "30m")
		if err != nil {
			return nil, 0, err
		}
		wg.Go(func() {
			defer p.stop()
			werr := p.wait(ctx)
			end := time.Since(start)
			var res phoneResult
			b, err := os.ReadFile(resPath)
			if err == nil {
				err = json.Unmarshal(b, &res)
			}
			mu.Lock()
			defer mu.Unlock()
			if werr != nil && firstErr == nil {
				firstErr = fmt.Errorf("pfbench: phone %s: %v (log %s)", ph.mac, werr, p.log.Name())
			}
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("pfbench: phone %s result: %v", ph.mac, err)
			}
			results[k] = res
			last = max(last, end)
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return results, last, ctx.Err()
	}
	return results, last, firstErr
}
