package api

import (
	"errors"

	"github.com/cityid/cityid/internal/httplayer"
)

func asError(err error, target **httplayer.Error) bool { return errors.As(err, target) }
