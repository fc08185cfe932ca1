package photo

import "encoding/binary"

// jpegSegments calls f for each marker segment before the image data
// (stopping at start of scan) until f returns false. Every length is
// checked against the input: it is untrusted.
func jpegSegments(b []byte, f func(marker byte, seg []byte) bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			i += 2 // markers without a length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return
		}
		if !f(marker, b[i+4:i+2+n]) {
			return
		}
		i += 2 + n
	}
}

// jpegOrientation returns the EXIF orientation (1–8) of a JPEG, or 1 when
// there is none or it cannot be read. Phones store the sensor's pixels and
// say in this tag how to turn them upright; ignoring it gives a photo lying
// on its side. Only tag 0x0112 of IFD0 in an APP1 "Exif" segment is read.
func jpegOrientation(b []byte) int {
	o := 1
	jpegSegments(b, func(marker byte, seg []byte) bool {
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if v := tiffOrientation(seg[6:]); v != 0 {
				o = v
				return false
			}
		}
		return true
	})
	return o
}

// jpegProgressive reports whether a JPEG is progressive (SOF2), which the
// decoder holds as 32-bit coefficients for every sample before it builds the
// image: several times the memory of a baseline JPEG of the same size.
func jpegProgressive(b []byte) bool {
	p := false
	jpegSegments(b, func(marker byte, _ []byte) bool {
		if marker == 0xC2 {
			p = true
		}
		return !(marker >= 0xC0 && marker <= 0xC2) // stop at the frame header
	})
	return p
}

// tiffOrientation reads the orientation tag from IFD0 of a TIFF header; 0
// when absent or malformed.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[ifd:]))
	for k := int64(0); k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 0
		}
		const tagOrientation, typeShort = 0x0112, 3
		if bo.Uint16(t[e:]) != tagOrientation {
			continue
		}
		if bo.Uint16(t[e+2:]) != typeShort || bo.Uint32(t[e+4:]) != 1 {
			return 0
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}
