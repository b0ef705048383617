package appliance

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/phoneflash/phoneflash/firmware"
)

// The model table and the targets of the bench: the built-in rows with the
// user's <state>/models.json, and -target read per family.

// LoadModels reads the model table a bench in stateDir works with: the
// built-in rows and those of stateDir/models.json (firmware.LoadModels). A
// file with mistakes is a *firmware.ModelFileError, one line each; the
// command line treats it as a configuration mistake.
func LoadModels(stateDir string) (firmware.Models, error) {
	return firmware.LoadModels(filepath.Join(stateDir, firmware.ModelFileName), firmware.BuiltinModels())
}

// benchModels is the table of cfg: cfg.Models, else read from the state
// directory.
func benchModels(cfg Config) (firmware.Models, error) {
	if cfg.Models != nil {
		return cfg.Models, nil
	}
	return LoadModels(cfg.StateDir)
}

// benchTargets reads -target.
func benchTargets(cfg Config) (*firmware.Targets, error) {
	t, err := firmware.ParseTargets(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("-target: %w", err)
	}
	return &t, nil
}

// missingTarget names a load -target names that the store lacks, "" when
// it has them all.
func (b *bench) missingTarget() string {
	for _, l := range b.targets.Loads() {
		if _, ok := b.store.Load(l); !ok {
			return l
		}
	}
	return ""
}

// targetSummary names the bench's targets for the status header: those of
// the phones on it, else those -target names.
func (b *bench) targetSummary(phones []string) string {
	phones = slices.DeleteFunc(phones, func(t string) bool { return t == "" })
	if len(phones) == 0 {
		phones = b.targets.Loads()
	}
	return firmware.TargetSummary(phones)
}

// termLoad is the load whose term file name is served to a TFTP client that
// is no phone the bench follows: the target of the term file's model.
func (b *bench) termLoad(name string) string {
	models, targets := b.models, b.targets
	if models == nil {
		models = firmware.BuiltinModels()
	}
	if targets == nil {
		var err error
		if targets, err = benchTargets(b.cfg); err != nil {
			return ""
		}
	}
	md, ok := models.ForTermFile(name)
	if !ok {
		return ""
	}
	t, _ := targets.For(md, b.store.Loads())
	return t
}
