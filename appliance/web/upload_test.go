package web

import (
	"bytes"
	"errors"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// form builds a multipart body with one "file" part per name.
func form(t *testing.T, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "ignored")
	for name, data := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	mw.Close()
	return mw.FormDataContentType(), &b
}

func upload(t *testing.T, url string, files map[string][]byte) (int, string) {
	t.Helper()
	ct, body := form(t, files)
	req := newReq(t, "POST", url, body)
	req.Header.Set("Content-Type", ct)
	req.SetBasicAuth("", password)
	code, resp, _ := do(t, req)
	return code, resp
}

func TestFirmwareUpload(t *testing.T) {
	st := newStore(t)
	state := t.TempDir()
	ts, _ := newTestServer(t, Options{Password: password, Firmware: st, StateDir: state})
	cop, err := fwgen.COPBytes(fwgen.SIP942(), 0.001)
	if err != nil {
		t.Fatal(err)
	}
	code, body := upload(t, ts.URL+"/api/firmware", map[string][]byte{fwgen.SIP942().COPName(): cop})
	if code != 200 || !strings.Contains(body, "added: "+fwgen.SIP942().Name) {
		t.Fatalf("upload: %d %q", code, body)
	}
	if loads := st.Loads(); len(loads) != 1 {
		t.Errorf("store has %d loads after the upload, want 1", len(loads))
	}
	code, body = upload(t, ts.URL+"/api/firmware", map[string][]byte{"notes.txt": []byte("hello, not firmware")})
	if code != 422 || !strings.Contains(body, "notes.txt") || !strings.Contains(body, "not a COP") || strings.Contains(body, state) {
		t.Errorf("garbage upload: %d %q, want 422 naming notes.txt with the importer's error and no server path", code, body)
	}
	if code, body = upload(t, ts.URL+"/api/firmware", nil); code != 400 {
		t.Errorf("upload without a file: %d %q, want 400", code, body)
	}
	left, _ := os.ReadDir(state)
	if len(left) != 0 {
		t.Errorf("uploads left behind in the state directory: %v", left)
	}
}

// pathsFirmware records what it is asked to import.
type pathsFirmware struct {
	paths []string
	data  []string
}

func (f *pathsFirmware) Import(srcs ...string) (firmware.ImportResult, error) {
	for _, s := range srcs {
		b, err := os.ReadFile(s)
		if err != nil {
			return firmware.ImportResult{}, err
		}
		f.paths = append(f.paths, s)
		f.data = append(f.data, string(b))
	}
	return firmware.ImportResult{}, errors.New("import " + srcs[0] + ": rejected for the test")
}
func (f *pathsFirmware) Loads() []firmware.Load        { return nil }
func (f *pathsFirmware) Verify() firmware.VerifyReport { return firmware.VerifyReport{} }

func TestUploadNamesStayInside(t *testing.T) {
	state := t.TempDir()
	fw := &pathsFirmware{}
	ts, _ := newTestServer(t, Options{Password: password, Firmware: fw, StateDir: state})
	code, body := upload(t, ts.URL+"/api/firmware", map[string][]byte{"../../x": []byte("one")})
	if code != 422 || !strings.Contains(body, "import x: rejected") {
		t.Errorf("upload: %d %q", code, body)
	}
	code, _ = upload(t, ts.URL+"/api/firmware", map[string][]byte{`..\..\evil.cop.sgn`: []byte("two"), "..": []byte("three")})
	if code != 422 || len(fw.paths) != 3 {
		t.Fatalf("upload: %d, paths %v", code, fw.paths)
	}
	for i, p := range fw.paths {
		rel, err := filepath.Rel(state, p)
		if err != nil || strings.HasPrefix(rel, "..") || !strings.HasPrefix(rel, "upload-") || strings.Count(rel, string(filepath.Separator)) != 1 {
			t.Errorf("upload %d saved at %s, outside a fresh folder of the state directory", i, p)
		}
	}
	got := map[string]string{}
	for i, p := range fw.paths {
		got[filepath.Base(p)] = fw.data[i]
	}
	if got["x"] != "one" || got["evil.cop.sgn"] != "two" || len(got) != 3 {
		t.Errorf("saved files %v", got)
	}
	for _, name := range []string{filepath.Join(state, "..", "x"), filepath.Join(filepath.Dir(state), "evil.cop.sgn")} {
		if _, err := os.Stat(name); err == nil {
			t.Errorf("%s was written outside the upload folder", name)
		}
	}
}

func TestUploadTooLarge(t *testing.T) {
	var saved []byte
	ts, _ := newTestServer(t, Options{Password: password, Firmware: newStore(t), StateDir: t.TempDir(),
		Accounts: func(b []byte) (string, error) { saved = b; return "", nil }})
	code, body := upload(t, ts.URL+"/api/accounts", map[string][]byte{"a.csv": bytes.Repeat([]byte("#"), MaxAccountsUpload+1)})
	if code != 413 {
		t.Errorf("oversize account table: %d %q, want 413", code, body)
	}
	code, body = upload(t, ts.URL+"/api/firmware", map[string][]byte{"big.zip": make([]byte, MaxFirmwareUpload+1)})
	if code != 413 {
		t.Errorf("oversize firmware: %d %q, want 413", code, body)
	}
	if saved != nil {
		t.Error("an oversize account table was saved")
	}
}

func TestAccountsUpload(t *testing.T) {
	var saved []byte
	ts, _ := newTestServer(t, Options{Password: password, Accounts: func(b []byte) (string, error) { saved = b; return "", nil }})
	table := "extension,password,pbx_host\n1001,pw,192.0.2.10\n1002,pw,192.0.2.10\n"
	code, body := upload(t, ts.URL+"/api/accounts", map[string][]byte{"accounts.csv": []byte(table)})
	if code != 200 || !strings.Contains(body, "2 rows") || string(saved) != table {
		t.Errorf("upload: %d %q, saved %q", code, body, saved)
	}
	saved = nil
	code, body = upload(t, ts.URL+"/api/accounts", map[string][]byte{"accounts.csv": []byte("extension,password\n1001,pw\n")})
	if code != 422 || !strings.Contains(body, "pbx_host") || saved != nil {
		t.Errorf("bad table: %d %q, want 422 naming the missing column", code, body)
	}
	// A script sends the CSV as the body.
	req := newReq(t, "POST", ts.URL+"/api/accounts", strings.NewReader(table))
	req.Header.Set("Content-Type", "text/csv")
	req.SetBasicAuth("", password)
	if code, body, _ := do(t, req); code != 200 || string(saved) != table {
		t.Errorf("CSV body: %d %q", code, body)
	}
}
