package registrar

import (
	"os"
	"testing"

	"github.com/phoneflash/phoneflash/internal/siptest"
)

func TestMain(m *testing.M) {
	siptest.Quiet()
	os.Exit(m.Run())
}
