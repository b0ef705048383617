package gokrazy_test

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imageBytes is the size of the file images the tests build: gok's minimum
// (boot, two root file systems, 100 MB /perm) plus 200 MiB.
const imageBytes = 1258291200 + 200<<20

// TestImageContents builds the real SD-card image of the instance with gok,
// as `make image` does, and reads it back with Debian's tools: the boot
// partition's config.txt enables I²C at 400 kHz, the root file system holds
// phoneflash and boardcheck built for the Pi (arm64) and the reference
// board profile, gokrazy's init carries exactly the configured flags, and
// gokrazy's web interface is on port 8080.
func TestImageContents(t *testing.T) {
	needTools(t, "partx", "mtype", "unsquashfs")
	cfg := loadConfig(t)
	in := copyInstance(t)
	img := filepath.Join(t.TempDir(), "phoneflash.img")
	in.build(t, img, imageBytes)
	parts := partitions(t, img)

	config := string(bootFile(t, img, parts[1], "config.txt"))
	for _, line := range cfg.BootloaderExtraLines {
		if !strings.Contains(config, "\n"+line+"\n") && !strings.HasSuffix(config, "\n"+line) {
			t.Errorf("config.txt lacks %q:\n%s", line, config)
		}
	}
	if !strings.Contains(config, "dtparam=i2c_arm=on") {
		t.Errorf("config.txt does not enable I2C:\n%s", config)
	}

	root := parts[2]
	for _, bin := range []string{"user/phoneflash", "user/boardcheck"} {
		checkArm64(t, bin, rootFile(t, img, root, bin))
	}
	want, err := os.ReadFile(filepath.Join(instance, "board.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := rootFile(t, img, root, "etc/phoneflash/board.json"); !bytes.Equal(got, want) {
		t.Errorf("/etc/phoneflash/board.json in the image differs from %s/board.json", instance)
	}
	if got := strings.TrimSpace(string(rootFile(t, img, root, "etc/http-port.txt"))); got != cfg.Update.HTTPPort {
		t.Errorf("gokrazy's web interface on port %s, want %s", got, cfg.Update.HTTPPort)
	}

	// gokrazy bakes each program's flags into its init as string
	// constants: every configured flag is there.
	init := rootFile(t, img, root, "gokrazy/init")
	checkArm64(t, "gokrazy/init", init)
	for name, pc := range cfg.PackageConfig {
		for _, f := range pc.CommandLineFlags {
			if !bytes.Contains(init, []byte(f)) {
				t.Errorf("gokrazy's init does not start %s with %q", filepath.Base(name), f)
			}
		}
	}
	logImageSize(t, img, parts)
}

func checkArm64(t *testing.T, name string, b []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s in the image is not an ELF binary: %v", name, err)
		return
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("%s is built for %s, want arm64 (the instance's Environment)", name, f.Machine)
	}
}

// logImageSize reports what the image holds: the file's size, the blocks it
// really uses (it is sparse), the kernel and the root file system.
func logImageSize(t *testing.T, img string, parts map[int]partition) {
	t.Helper()
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	used := "?"
	if out, err := exec.Command("du", "--block-size=1", img).Output(); err == nil {
		used = strings.Fields(string(out))[0]
	}
	sq := "?"
	if out, err := exec.Command("unsquashfs", "-o", strconv.FormatInt(parts[2].offset, 10), "-s", img).Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Filesystem size") {
				sq = strings.TrimSpace(strings.TrimPrefix(line, "Filesystem size"))
			}
		}
	}
	t.Logf("image: %d bytes (file), %s bytes used; root file system %s; partitions %v", fi.Size(), used, sq, parts)
}
