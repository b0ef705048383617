package gokrazy_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gokBinary is gokrazy's own tool as `make image` finds it: the user's gok
// on PATH, else ../shared/bin/gok beside the checkout (CI has it there).
// Without either the test skips, naming both.
func gokBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("gok"); err == nil {
		return p
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "..", "shared", "bin", "gok")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("needs gokrazy's gok: not on PATH and not at %s (go install github.com/gokrazy/tools/cmd/gok@latest)", p)
	}
	return p
}

// needTools skips the test when a Debian tool it reads images with is
// missing (make deps and .ci/run install them: TEST_DEPS).
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("needs %s (Debian packages mtools, squashfs-tools, e2fsprogs, util-linux, qemu-system-x86: make deps)", n)
		}
	}
}

// variant is a copy of gokrazy/phoneflash under a temporary parent
// directory, as gok reads it: config.json (decoded loosely, so that a
// variant can change any field), the board profile and the builddir with
// its pinned versions. The builddir of this module points at this checkout.
type variant struct {
	parent string
	config map[string]any
}

func copyInstance(t *testing.T) *variant {
	t.Helper()
	parent := t.TempDir()
	src := instance
	dst := filepath.Join(parent, instance)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The builddir's relative replace points at the checkout from the real
	// location only; the copy gets the same through copyBuilddir's rewrite.
	own := filepath.Join(dst, "builddir", module)
	built := copyBuilddir(t, filepath.Join(instance, "builddir", module))
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(built, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(own, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dst, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	in := &variant{parent: parent}
	if err := json.Unmarshal(b, &in.config); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *variant) dir() string { return filepath.Join(in.parent, instance) }

// writeConfig writes the (changed) config.json back.
func (in *variant) writeConfig(t *testing.T) {
	t.Helper()
	b, err := json.MarshalIndent(in.config, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in.dir(), "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// packageConfig returns the PackageConfig entry of pkg, creating it.
func (in *variant) packageConfig(pkg string) map[string]any {
	pcs, _ := in.config["PackageConfig"].(map[string]any)
	if pcs == nil {
		pcs = map[string]any{}
		in.config["PackageConfig"] = pcs
	}
	pc, _ := pcs[pkg].(map[string]any)
	if pc == nil {
		pc = map[string]any{}
		pcs[pkg] = pc
	}
	return pc
}

// gokHome is a home directory of the test's own for gok, so that it neither
// reads nor writes the user's ~/.config/gokrazy (it makes the gokrazy web
// password there); Go keeps the user's module and build caches.
func gokEnv(t *testing.T, home string) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	v := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(v) != 3 {
		t.Fatalf("go env printed %q", out)
	}
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"GOPATH=" + v[0], "GOMODCACHE=" + v[1], "GOCACHE=" + v[2]}
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOME", "XDG_CONFIG_HOME", "GOPATH", "GOMODCACHE", "GOCACHE", "GOOS", "GOARCH":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// build runs `gok overwrite --full` of the instance into a file image of
// size bytes, as `make image` does, and returns the gokrazy web password
// gok chose.
func (in *variant) build(t *testing.T, img string, size int64) (password string) {
	t.Helper()
	in.writeConfig(t)
	home := t.TempDir()
	cmd := exec.Command(gokBinary(t), "--parent_dir", in.parent, "-i", instance, "overwrite", "--full", img,
		"--target_storage_bytes", strconv.FormatInt(size, 10))
	cmd.Dir = in.parent
	cmd.Env = gokEnv(t, home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gok overwrite: %v\n%s", err, out)
	}
	pw, err := os.ReadFile(filepath.Join(home, ".config", "gokrazy", "http-password.txt"))
	if err != nil {
		t.Fatalf("gok made no web password: %v", err)
	}
	return strings.TrimSpace(string(pw))
}

// partition is one partition of an image file, from util-linux's partx.
type partition struct{ offset, size int64 }

func partitions(t *testing.T, img string) map[int]partition {
	t.Helper()
	out, err := exec.Command("partx", "-g", "-o", "NR,START,SECTORS", img).Output()
	if err != nil {
		t.Fatalf("partx %s: %v", img, err)
	}
	parts := map[int]partition{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		nr, _ := strconv.Atoi(f[0])
		start, _ := strconv.ParseInt(f[1], 10, 64)
		n, _ := strconv.ParseInt(f[2], 10, 64)
		parts[nr] = partition{offset: start * 512, size: n * 512}
	}
	for _, nr := range []int{1, 2, 3, 4} {
		if _, ok := parts[nr]; !ok {
			t.Fatalf("%s has no partition %d (partx: %s)", img, nr, out)
		}
	}
	return parts
}

// formatPerm makes partition 4 an empty ext4 file system, as README step 3
// (and `make image` for a file) does for /perm.
func formatPerm(t *testing.T, img string) {
	t.Helper()
	p := partitions(t, img)[4]
	out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "perm", "-E", "offset="+strconv.FormatInt(p.offset, 10), img,
		strconv.FormatInt(p.size/1024, 10)).CombinedOutput()
	if err != nil {
		t.Fatalf("mkfs.ext4 on partition 4: %v\n%s", err, out)
	}
}

// rootFile reads a file from the root file system (squashfs, partition 2).
func rootFile(t *testing.T, img string, p partition, name string) []byte {
	t.Helper()
	out, err := exec.Command("unsquashfs", "-o", strconv.FormatInt(p.offset, 10), "-cat", img, name).Output()
	if err != nil {
		t.Fatalf("unsquashfs -cat %s: %v", name, err)
	}
	return out
}

// bootFile reads a file from the boot file system (FAT, partition 1).
func bootFile(t *testing.T, img string, p partition, name string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("mtype", "-i", img+"@@"+strconv.FormatInt(p.offset, 10), "::"+name)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mtype %s: %v: %s", name, err, stderr.String())
	}
	return out
}
