package photo

import "bytes"

// stripJPEG returns a baseline JPEG with every segment but the ones needed
// to draw it removed (APPn such as EXIF/XMP/ICC, comments, trailing data
// after EOI), without re-encoding. It reports false when the file is not a
// simple baseline JPEG it can rewrite safely; callers then re-encode.
//
// This is the fast path for photos that already arrive at the ID size (the
// intake page's camera capture sends exactly that), where decoding, scaling
// and re-encoding would cost ten times more and lose quality.
func stripJPEG(data []byte) ([]byte, bool) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, false
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	i := 2
	for {
		if i+4 > len(data) || data[i] != 0xFF {
			return nil, false
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return nil, false
		}
		seg := data[i : i+2+n]
		switch {
		case marker == 0xC0: // baseline SOF: 1 (gray) or 3 (YCbCr) components only
			if n < 8 || (seg[9] != 1 && seg[9] != 3) {
				return nil, false
			}
			out = append(out, seg...)
		case marker == 0xC4, marker == 0xDB, marker == 0xDD: // DHT, DQT, DRI
			out = append(out, seg...)
		case marker == 0xEE && bytes.HasPrefix(seg[4:], []byte("Adobe")):
			// Adobe's colour transform flag changes how pixels decode.
			return nil, false
		case marker >= 0xE0 && marker <= 0xEF, marker == 0xFE: // APPn, COM: metadata
		case marker == 0xDA: // SOS: copy the scan up to EOI, refuse anything else
			out = append(out, seg...)
			j := i + 2 + n
			for j+1 < len(data) {
				if data[j] != 0xFF {
					j++
					continue
				}
				switch next := data[j+1]; {
				case next == 0x00, next >= 0xD0 && next <= 0xD7: // stuffing, restart markers
					j += 2
				case next == 0xD9: // EOI: done; drop whatever trails it
					out = append(out, data[i+2+n:j+2]...)
					return out, true
				default: // a second scan or a segment after the scan: not baseline-simple
					return nil, false
				}
			}
			return nil, false
		default: // progressive, arithmetic, hierarchical or unknown: re-encode instead
			return nil, false
		}
		i += 2 + n
	}
}
