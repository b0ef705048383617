package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// prepareFirmware writes the synthetic SIP load at real size into the
// peers' served folder (flat, world-readable: hpa and atftpd drop to other
// users) and imports both loads' COPs into phoneflash's store. It returns
// the five images and a small file to probe readiness with.
func (r *rig) prepareFirmware() ([]image, string, error) {
	sip := fwgen.SIP942()
	files, err := fwgen.Files(sip, 1)
	if err != nil {
		return nil, "", err
	}
	root, err := os.MkdirTemp("", prefix+"-tftp-")
	if err != nil {
		return nil, "", err
	}
	r.e.onUndo(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, "", err
	}
	if err := fwgen.WriteFiles(root, files); err != nil {
		return nil, "", err
	}
	r.tftpRoot = root
	var images []image
	for _, name := range sip.ImageNames() {
		for _, f := range files {
			if f.Name == name {
				images = append(images, image{Name: name, Size: int64(len(f.Data)), Sum: sha256.Sum256(f.Data)})
			}
		}
	}
	r.fwDir = filepath.Join(r.e.workDir, "firmware")
	if err := importFirmware(r.bin, r.fwDir, filepath.Join(r.e.workDir, "cop"), fwgen.Loads()); err != nil {
		return nil, "", err
	}
	return images, sip.LoadsFile(), nil
}

// importFirmware writes the loads' COP files and imports them with
// `phoneflash firmware import`.
func importFirmware(bin, fwDir, copDir string, loads []fwgen.Load) error {
	if err := os.MkdirAll(copDir, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(fwDir, 0o755); err != nil {
		return err
	}
	for _, l := range loads {
		cop, err := fwgen.WriteCOP(copDir, l, 1)
		if err != nil {
			return err
		}
		out, err := exec.Command(filepath.Join(bin, "phoneflash"), "firmware", "import", "-firmware", fwDir, cop).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pfbench: phoneflash firmware import %s: %w: %s", cop, err, out)
		}
	}
	return nil
}

// machine describes this computer in one line.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.Split(string(b), "\n")[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
	}
	distro := ""
	if b, err := os.ReadFile("/etc/debian_version"); err == nil {
		distro = ", Debian " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d CPUs (%s)%s, Linux %s%s, %s", runtime.GOARCH, runtime.NumCPU(), model, mem,
		strings.TrimSpace(string(kernel)), distro, runtime.Version())
}

func phoneflashVersion(bin string) string {
	out, err := exec.Command(filepath.Join(bin, "phoneflash"), "version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// memFigures is part 4: phoneflash's memory at idle and the arm64 size.
type memFigures struct {
	IdleKB     int64
	IdleProcs  int
	IdleThr    int
	Arm64Bytes int64
	Arm64Path  string
}

// measureIdle starts phoneflash with the firmware store and one port and
// samples its memory for two seconds without traffic.
func (r *rig) measureIdle(ctx context.Context, arm64 string) (memFigures, error) {
	var m memFigures
	p, err := r.launch(ctx, srvPhoneflash, filepath.Join(r.e.workDir, "idle"), false, time.Second)
	if err != nil {
		return m, err
	}
	defer p.stop()
	s := startSampler(p.cg)
	time.Sleep(2 * time.Second)
	u := s.stop()
	m.IdleKB, m.IdleProcs, m.IdleThr = u.PeakKB, u.Procs, u.Threads
	if arm64 != "" {
		if fi, err := os.Stat(arm64); err == nil {
			m.Arm64Bytes, m.Arm64Path = fi.Size(), arm64
		}
	}
	return m, nil
}
