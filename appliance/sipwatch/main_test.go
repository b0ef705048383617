package sipwatch

import (
	"log/slog"
	"os"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestMain silences sipgo's package-level logger, which the test clients'
// connection bookkeeping uses whatever logger a user agent was given.
func TestMain(m *testing.M) {
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
