package web

import (
	"bytes"
	"net/http"
)

// bundle answers GET /bundle.zip (behind the password): the office bundle,
// a TFTP root for the office. It is made whole before the first byte is
// sent, so a failure is an error page, never a truncated zip.
func (s *Server) bundle(w http.ResponseWriter, r *http.Request) {
	if s.opt.Bundle == nil {
		notWired(w, "the office bundle")
		return
	}
	var buf bytes.Buffer
	if err := s.opt.Bundle(&buf); err != nil {
		s.opt.Log.Warn("web: office bundle", "err", err)
		http.Error(w, "making the office bundle: "+err.Error(), http.StatusInternalServerError)
		return
	}
	name := "phoneflash-office-" + s.opt.Now().UTC().Format("20060102-1504") + ".zip"
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(buf.Bytes())
}
