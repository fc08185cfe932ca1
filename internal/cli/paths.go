package cli

import (
	"path/filepath"

	"github.com/cityid/cityid/internal/app"
)

func sqlitePath(dataDir string) string { return filepath.Join(dataDir, app.DBFile) }
