package registrar

import (
	"testing"

	"github.com/phoneflash/phoneflash/internal/siptest"
)

func TestMain(m *testing.M) { siptest.Main(m) }
