package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"time"
)

// cookieName is the login cookie: a random token the server remembers.
const cookieName = "phoneflash_session"

// csrfHeader carries the page's per-login token on every action.
const csrfHeader = "X-CSRF-Token"

// errNoPassword is what actions answer when no password is configured.
const errNoPassword = "actions are disabled: no password is set; start phoneflash with -web-password or write the password to the file web-password in the state directory"

// checkPassword compares in constant time (hashes first, so the length
// does not show either).
func (s *Server) checkPassword(p string) bool {
	if s.opt.Password == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(p)), sha256.Sum256([]byte(s.opt.Password))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// session returns the request's valid login token, or "".
func (s *Server) session(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.sessions[c.Value]
	if !ok {
		return ""
	}
	if !s.opt.Now().Before(exp) {
		delete(s.sessions, c.Value)
		return ""
	}
	return c.Value
}

// failDelay is how long password checks are refused after a wrong
// password: guessing runs at one try a second at most.
const failDelay = time.Second

// tryPassword checks p unless a wrong password came within failDelay.
func (s *Server) tryPassword(p string) (ok, throttled bool) {
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.failUntil) {
		return false, true
	}
	if s.checkPassword(p) {
		return true, false
	}
	s.failUntil = now.Add(failDelay)
	return false, false
}

// basic reports whether the request carries the password by HTTP basic
// auth (for scripts; any user name).
func (s *Server) basic(r *http.Request) bool {
	_, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	good, _ := s.tryPassword(p)
	return good
}

func (s *Server) authorized(r *http.Request) bool {
	return s.opt.Password != "" && (s.session(r) != "" || s.basic(r))
}

// csrfToken is the token the page of login tok sends back with actions.
func (s *Server) csrfToken(tok string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf\x00" + tok))
	return hex.EncodeToString(m.Sum(nil))
}

// viewer guards what the page shows: open unless ProtectPage.
func (s *Server) viewer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.opt.ProtectPage || s.authorized(r) {
			h(w, r)
			return
		}
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		s.unauthorized(w)
	}
}

// action guards operator actions: the password (login cookie plus its
// CSRF token, or basic auth) is always needed.
func (s *Server) action(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opt.Password == "" {
			http.Error(w, errNoPassword, http.StatusForbidden)
			return
		}
		tok := s.session(r)
		switch {
		case tok != "":
			if r.Method != http.MethodGet && !hmac.Equal([]byte(r.Header.Get(csrfHeader)), []byte(s.csrfToken(tok))) {
				s.opt.Log.Warn("web: action without a valid CSRF token refused", "path", r.URL.Path, "remote", r.RemoteAddr)
				http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		case s.basic(r):
		default:
			s.opt.Log.Warn("web: action without the password refused", "path", r.URL.Path, "remote", r.RemoteAddr)
			s.unauthorized(w)
			return
		}
		h(w, r)
	}
}

func (s *Server) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="phoneflash", charset="UTF-8"`)
	http.Error(w, "the password is needed: log in on the page or use HTTP basic auth", http.StatusUnauthorized)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, pageData{Login: true})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if s.opt.Password == "" {
		w.WriteHeader(http.StatusForbidden)
		s.renderPage(w, r, pageData{Login: true, Message: errNoPassword})
		return
	}
	good, throttled := s.tryPassword(r.PostFormValue("password"))
	if throttled {
		w.WriteHeader(http.StatusTooManyRequests)
		s.renderPage(w, r, pageData{Login: true, Message: "a wrong password was tried a moment ago: wait a second and try again"})
		return
	}
	if !good {
		s.opt.Log.Warn("web: wrong password", "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusUnauthorized)
		s.renderPage(w, r, pageData{Login: true, Message: "wrong password"})
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	now := s.opt.Now()
	s.mu.Lock()
	for k, exp := range s.sessions {
		if !now.Before(exp) {
			delete(s.sessions, k)
		}
	}
	s.sessions[tok] = now.Add(sessionTTL)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds()), Secure: r.TLS != nil})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if tok := s.session(r); tok != "" {
		s.mu.Lock()
		delete(s.sessions, tok)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
