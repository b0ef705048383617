package web

import "net/http"

// bundle answers GET /bundle.zip (behind the password): the office bundle,
// a TFTP root for the office. It is made whole before the first byte is
// sent, so a failure is an error page, never a truncated zip.
func (s *Server) bundle(w http.ResponseWriter, r *http.Request) {
	name := "phoneflash-office-" + s.opt.Now().UTC().Format("20060102-1504") + ".zip"
	if err := attach(w, "the office bundle", "application/zip", name, s.opt.Bundle); err != nil {
		s.opt.Log.Warn("web: office bundle", "err", err)
	}
}
