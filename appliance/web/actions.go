package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
)

func notWired(w http.ResponseWriter, what string) {
	http.Error(w, what+" is not available on this appliance", http.StatusNotImplemented)
}

func ok(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, msg+"\n")
}

func (s *Server) powerCycle(w http.ResponseWriter, r *http.Request) {
	port := r.PathValue("port")
	if s.opt.PowerCycle == nil {
		notWired(w, "power control")
		return
	}
	s.opt.Log.Info("web: power cycle", "port", port, "remote", r.RemoteAddr)
	if err := s.opt.PowerCycle(port); err != nil {
		http.Error(w, fmt.Sprintf("power-cycling %s: %v", port, err), http.StatusConflict)
		return
	}
	ok(w, "port "+port+" power-cycled")
}

// macAction runs f for the phone named in the path; done is the message
// on success, with %s for the MAC.
func (s *Server) macAction(w http.ResponseWriter, r *http.Request, what, done string, f func(string) error) {
	mac := r.PathValue("mac")
	if !session.ValidMAC(mac) {
		http.Error(w, "not a MAC address: "+mac, http.StatusBadRequest)
		return
	}
	if f == nil {
		notWired(w, what)
		return
	}
	mac = session.NormalizeMAC(mac)
	s.opt.Log.Info("web: "+what, "mac", mac, "remote", r.RemoteAddr)
	if err := f(mac); err != nil {
		http.Error(w, fmt.Sprintf("%s %s: %v", what, mac, err), http.StatusConflict)
		return
	}
	ok(w, fmt.Sprintf(done, mac))
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	s.macAction(w, r, "retry", "%s starts afresh when it next asks (unplug and replug it, or power-cycle its port)", s.opt.Retry)
}

func (s *Server) forget(w http.ResponseWriter, r *http.Request) {
	s.macAction(w, r, "forget", "%s forgotten; its history stays in the journal", s.opt.Forget)
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	attach(w, "the report", "text/csv; charset=utf-8", "phoneflash-report.csv", s.opt.Report)
}

// attach answers with what write writes, as an attachment named name. It
// is written whole before the first byte is sent, so a failure is an error
// page, never a truncated file; that error is returned for the caller to
// log. A nil write answers that what (the report, ...) is not wired.
func attach(w http.ResponseWriter, what, contentType, name string, write func(io.Writer) error) error {
	if write == nil {
		notWired(w, what)
		return nil
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		http.Error(w, "making "+what+": "+err.Error(), http.StatusInternalServerError)
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(b.Bytes())
	return nil
}

// tooLarge reports whether err comes from an http.MaxBytesReader limit.
func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func uploadError(w http.ResponseWriter, what string, limit int64, err error) {
	if tooLarge(err) {
		http.Error(w, fmt.Sprintf("%s is larger than %d MiB", what, limit>>20), http.StatusRequestEntityTooLarge)
		return
	}
	http.Error(w, fmt.Sprintf("reading the %s: %v", what, err), http.StatusBadRequest)
}

// safeName keeps an uploaded file's base name when it is a plain name (a
// signed .loads or .sbn must keep its own name); anything else gets a
// generated one. The name never leaves the upload folder.
var plainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$`)

func safeName(name string, i int) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if plainName.MatchString(base) && !strings.Contains(base, "..") {
		return base
	}
	return fmt.Sprintf("upload-%d", i)
}

func (s *Server) uploadFirmware(w http.ResponseWriter, r *http.Request) {
	if s.opt.Firmware == nil {
		notWired(w, "the firmware store")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFirmwareUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, "send the firmware as multipart/form-data in field \"file\": "+err.Error(), http.StatusBadRequest)
		return
	}
	dir, err := os.MkdirTemp(s.opt.StateDir, "upload-")
	if err != nil {
		http.Error(w, "making an upload folder: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer os.RemoveAll(dir)
	paths, err := saveParts(mr, dir)
	if err != nil {
		uploadError(w, "firmware upload", MaxFirmwareUpload, err)
		return
	}
	if len(paths) == 0 {
		http.Error(w, "no file in the upload: choose a .cop.sgn, .zip or .tar.gz", http.StatusBadRequest)
		return
	}
	s.opt.Log.Info("web: firmware upload", "files", len(paths), "remote", r.RemoteAddr)
	res, err := s.opt.Firmware.Import(paths...)
	if err != nil {
		// The importer names the files; show the uploaded names, not ours.
		msg := strings.ReplaceAll(err.Error(), dir+string(os.PathSeparator), "")
		s.opt.Log.Warn("web: firmware import", "err", msg)
		http.Error(w, msg, http.StatusUnprocessableEntity)
		return
	}
	ok(w, importSummary(res))
}

// saveParts writes each "file" part into dir (through an os.Root, so no
// name can escape it) and returns the paths.
func saveParts(mr *multipart.Reader, dir string) ([]string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var paths []string
	used := map[string]bool{}
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return paths, nil
		}
		if err != nil {
			return nil, err
		}
		if part.FormName() != "file" || part.FileName() == "" {
			part.Close()
			continue
		}
		name := safeName(part.FileName(), i)
		if used[name] {
			name = fmt.Sprintf("%d-%s", i, name)
		}
		used[name] = true
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(f, part)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		paths = append(paths, dir+string(os.PathSeparator)+name)
	}
}

func importSummary(res firmware.ImportResult) string {
	var parts []string
	for _, g := range []struct {
		what  string
		loads []string
	}{{"added", res.Added}, {"updated", res.Updated}, {"already there", res.Unchanged}, {"ignored", res.Ignored}} {
		if len(g.loads) > 0 {
			parts = append(parts, g.what+": "+strings.Join(g.loads, ", "))
		}
	}
	if len(parts) == 0 {
		return "imported: nothing new"
	}
	return "imported; " + strings.Join(parts, "; ")
}

func (s *Server) uploadAccounts(w http.ResponseWriter, r *http.Request) {
	if s.opt.Accounts == nil {
		notWired(w, "the account table")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxAccountsUpload)
	data, err := readAccounts(r)
	if err != nil {
		uploadError(w, "account table", MaxAccountsUpload, err)
		return
	}
	t, err := provision.ParseTable(bytes.NewReader(data))
	if err != nil {
		http.Error(w, "account table: "+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	note, err := s.opt.Accounts(data)
	if err != nil {
		http.Error(w, "saving the account table: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.opt.Log.Info("web: account table uploaded", "rows", len(t.Rows), "remote", r.RemoteAddr, "phones", note)
	msg := fmt.Sprintf("account table loaded: %d rows", len(t.Rows))
	if note != "" {
		msg += "; " + note
	}
	ok(w, msg)
}

// readAccounts takes the table from the "file" part of a form, or the body
// itself (text/csv, for scripts).
func readAccounts(r *http.Request) ([]byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return io.ReadAll(r.Body)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no field \"file\" in the form")
		}
		if err != nil {
			return nil, err
		}
		if part.FormName() == "file" {
			return io.ReadAll(part)
		}
		part.Close()
	}
}
