package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/phoneflash/phoneflash/internal/namespace"
)

// peerPackages are the Debian packages of the peers and the binary each
// must provide. dnsmasq-base is dnsmasq without its system service.
var peerPackages = []struct{ pkg, bin string }{
	{"tftpd-hpa", "/usr/sbin/in.tftpd"},
	{"dnsmasq-base", "/usr/sbin/dnsmasq"},
	{"kea-dhcp4-server", "/usr/sbin/kea-dhcp4"},
	{"kea-admin", "/usr/sbin/perfdhcp"},
}

// peerServices are the system services a package registers at install
// (dnsmasq-base and kea-admin have none).
var peerServices = map[string][]string{
	"tftpd-hpa":        {"tftpd-hpa"},
	"kea-dhcp4-server": {"kea-dhcp4-server", "isc-kea-dhcp4-server"},
}

// installPeers installs missing peers with apt-get while a policy-rc.d
// forbids starting services, then stops any that started anyway (they
// would serve in the machine's own namespace). atftpd conflicts with
// tftpd-hpa as a package, so it is unpacked from its .deb into dir and run
// from there; it returns the path of its binary.
func installPeers(dir string, logf func(string, ...any)) (atftpd string, err error) {
	var missing []string
	for _, p := range peerPackages {
		if _, err := os.Stat(p.bin); err != nil {
			missing = append(missing, p.pkg)
		}
	}
	for _, lib := range []string{"libwrap0", "libpcre2-8-0"} { // atftpd's libraries
		if out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", lib).Output(); !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, lib)
		}
	}
	if len(missing) > 0 {
		logf("installing %s", strings.Join(missing, " "))
		if err := withPolicyRC(missing, func() error {
			return runLog(logf, "", append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, missing...)...)
		}); err != nil {
			return "", err
		}
	}
	atftpd = filepath.Join(dir, "atftpd", "usr", "sbin", "atftpd")
	if _, err := os.Stat(atftpd); err != nil {
		if err := unpackDeb(dir, "atftpd", logf); err != nil {
			return "", err
		}
	}
	return atftpd, nil
}

// withPolicyRC runs f while /usr/sbin/policy-rc.d exits 101 (no service may
// start), then stops the services of the packages just installed in case
// one started anyway. Services of packages that were already there are the
// machine owner's and left alone.
func withPolicyRC(installing []string, f func() error) error {
	const path = "/usr/sbin/policy-rc.d"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n# pfbench: no service starts while peers are installed\nexit 101\n"), 0o755); err != nil {
			return fmt.Errorf("pfbench: %w", err)
		}
		defer os.Remove(path)
	}
	err := f()
	for _, pkg := range installing {
		stopServices(peerServices[pkg])
	}
	return err
}

// stopServices stops and disables system services.
func stopServices(names []string) {
	_, err := os.Stat("/run/systemd/system")
	for _, s := range names {
		if err == nil {
			exec.Command("systemctl", "disable", "--now", s).Run()
		} else if _, e := os.Stat("/etc/init.d/" + s); e == nil {
			exec.Command("/etc/init.d/"+s, "stop").Run()
		}
	}
}

// unpackDeb downloads pkg's .deb with apt-get download into dir and
// unpacks it into dir/pkg.
func unpackDeb(dir, pkg string, logf func(string, ...any)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(debs) == 0 {
		logf("downloading %s.deb", pkg)
		cmd := exec.Command("apt-get", "download", pkg)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pfbench: apt-get download %s: %w: %s", pkg, err, out)
		}
		debs, _ = filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	}
	if len(debs) == 0 {
		return fmt.Errorf("pfbench: no %s .deb in %s", pkg, dir)
	}
	return runLog(logf, "", "dpkg-deb", "-x", debs[0], filepath.Join(dir, pkg))
}

func runLog(logf func(string, ...any), ns string, args ...string) error {
	out, err := namespace.Command(ns, args...).CombinedOutput()
	if err != nil {
		logf("%s", out)
		return fmt.Errorf("pfbench: %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// peerVersions returns each peer's package version.
func peerVersions(dir string) map[string]string {
	v := map[string]string{}
	for _, p := range peerPackages {
		out, _ := exec.Command("dpkg-query", "-W", "-f=${Version}", p.pkg).Output()
		v[p.pkg] = string(out)
	}
	if debs, _ := filepath.Glob(filepath.Join(dir, "atftpd_*.deb")); len(debs) > 0 {
		out, _ := exec.Command("dpkg-deb", "-f", debs[0], "Version").Output()
		v["atftpd"] = strings.TrimSpace(string(out))
	}
	return v
}
