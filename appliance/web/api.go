package web

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
)

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) phones(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.opt.Phones.Snapshot())
}

func (s *Server) find(mac string) (session.Phone, bool) {
	mac = session.NormalizeMAC(mac)
	for _, p := range s.opt.Phones.Snapshot() {
		if p.MAC == mac {
			return p, true
		}
	}
	return session.Phone{}, false
}

func (s *Server) phone(w http.ResponseWriter, r *http.Request) {
	p, ok := s.find(r.PathValue("mac"))
	if !ok {
		http.Error(w, "no phone with MAC "+r.PathValue("mac"), http.StatusNotFound)
		return
	}
	writeJSON(w, p)
}

// Event is one history entry as the page shows it (a journal record
// without the saved state).
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
	Stage  string    `json:"stage"`
	Reason string    `json:"reason,omitempty"`
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	mac := r.PathValue("mac")
	if !session.ValidMAC(mac) {
		http.Error(w, "not a MAC address: "+mac, http.StatusBadRequest)
		return
	}
	if s.opt.History == nil {
		writeJSON(w, []Event{})
		return
	}
	recs, err := s.opt.History(session.NormalizeMAC(mac))
	if err != nil {
		s.opt.Log.Error("web: reading history", "mac", mac, "err", err)
		http.Error(w, "reading the history: "+err.Error(), http.StatusInternalServerError)
		return
	}
	out := make([]Event, 0, len(recs))
	for _, rec := range recs {
		out = append(out, Event{At: rec.At, Kind: rec.Kind, Detail: rec.Detail, Stage: rec.Stage, Reason: rec.Reason})
	}
	writeJSON(w, out)
}

// FirmwareList is the answer of GET /api/firmware.
type FirmwareList struct {
	Loads []firmware.Load `json:"loads"`
	// Verified is set with ?verify=1: every file re-read and checked.
	Verified bool     `json:"verified"`
	Problems []string `json:"problems,omitempty"`
}

func (s *Server) firmwareList(w http.ResponseWriter, r *http.Request) {
	if s.opt.Firmware == nil {
		http.Error(w, "no firmware store is wired", http.StatusNotImplemented)
		return
	}
	out := FirmwareList{Loads: s.opt.Firmware.Loads()}
	if out.Loads == nil {
		out.Loads = []firmware.Load{}
	}
	if r.URL.Query().Get("verify") == "1" {
		rep := s.opt.Firmware.Verify()
		out.Verified = true
		for _, p := range rep.Problems {
			out.Problems = append(out.Problems, p.String())
		}
	}
	writeJSON(w, out)
}

// oledPNG encodes the newest OLED frame; nil when there is none.
func (s *Server) oledPNG() []byte {
	if s.opt.Frame == nil {
		return nil
	}
	img := s.opt.Frame()
	if img == nil {
		return nil
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		s.opt.Log.Error("web: encoding the OLED frame", "err", err)
		return nil
	}
	return b.Bytes()
}

func (s *Server) oled(w http.ResponseWriter, r *http.Request) {
	b := s.oledPNG()
	if b == nil {
		http.Error(w, "no OLED frame yet", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// pageData fills assets/index.html.
type pageData struct {
	Login    bool   // show the login form instead of the status page
	Message  string // shown on the login form
	LoggedIn bool
	Actions  bool   // a password is set
	CSRF     string // token for actions, when logged in
	Protect  bool
	Problems []string // Options.Unhealthy, shown above everything
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Actions = s.opt.Password != ""
	d.Protect = s.opt.ProtectPage
	d.Problems = s.unhealthy()
	if tok := s.session(r); tok != "" {
		d.LoggedIn, d.CSRF = true, s.csrfToken(tok)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if err := s.page.Execute(w, d); err != nil {
		s.opt.Log.Error("web: rendering the page", "err", err)
	}
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, pageData{})
}
