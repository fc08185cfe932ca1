package pdf417

import (
	"errors"
	"fmt"
	"math/big"
)

// ErrFormat means the corrected codewords do not follow PDF417's data
// encoding.
var ErrFormat = errors.New("pdf417: malformed data codewords")

// Mode latches and shifts (ISO/IEC 15438 §5.4).
const (
	latchText    = 900
	latchByte    = 901
	latchNumeric = 902
	shiftByte    = 913
	latchByte6   = 924
	eciUser      = 925
	eciGeneral   = 926
	eciCharset   = 927
	macroBlock   = 928
	macroOption  = 923
	macroEnd     = 922
	readerInit   = 921
)

// Text compaction sub-modes; the tables give the character of each value
// (0 where the value is a latch or shift).
var (
	mixedChars = []byte{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '&', '\r', '\t', ',', ':', '#', '-', '.', '$', '/', '+', '%', '*', '=', '^', 0, ' ', 0, 0, 0}
	punctChars = []byte{';', '<', '>', '@', '[', '\\', ']', '_', '`', '~', '!', '\r', '\t', ',', ':', '\n', '-', '.', '$', '/', '"', '|', '*', '(', ')', '?', '{', '}', '\'', 0}
)

const (
	alpha = iota
	lower
	mixed
	punct
)

// decodeData turns the data codewords (without the length descriptor)
// into bytes. The symbol starts in text compaction.
func decodeData(cw []int) ([]byte, error) {
	var out []byte
	mode := latchText
	i := 0
	for i < len(cw) {
		// The run of codewords up to the next mode change (a byte shift
		// belongs to the text around it).
		j := i
		for j < len(cw) {
			if cw[j] < 900 {
				j++
			} else if cw[j] == shiftByte && mode == latchText {
				j += 2
			} else {
				break
			}
		}
		j = min(j, len(cw))
		var err error
		switch mode {
		case latchText:
			out, err = appendText(out, cw[i:j])
		case latchByte, latchByte6:
			out = appendBytes(out, cw[i:j], mode == latchByte6)
		case latchNumeric:
			out, err = appendNumeric(out, cw[i:j])
		}
		if err != nil {
			return nil, err
		}
		if j >= len(cw) {
			break
		}
		switch c := cw[j]; c {
		case latchText, latchByte, latchNumeric, latchByte6:
			mode = c
			j++
		case eciUser, eciCharset:
			j += 2
		case eciGeneral:
			j += 3
		case readerInit:
			j++
		case macroBlock, macroOption, macroEnd:
			// A Macro PDF417 control block ends the data.
			return out, nil
		default:
			return nil, fmt.Errorf("%w: codeword %d", ErrFormat, c)
		}
		i = j
	}
	return out, nil
}

// appendText decodes text compaction: each codeword is two base-30 values
// read in the sub-mode left by the ones before (alpha at each latch); 913
// shifts one byte in.
func appendText(out []byte, cw []int) ([]byte, error) {
	sub, shifted := alpha, -1
	var vals []int
	for i := 0; i < len(cw); i++ {
		if cw[i] == shiftByte {
			if i+1 >= len(cw) {
				return nil, fmt.Errorf("%w: byte shift at the end", ErrFormat)
			}
			vals = append(vals, 1000+cw[i+1]%256) // a raw byte, kept in order
			i++
			continue
		}
		vals = append(vals, cw[i]/30, cw[i]%30)
	}
	for _, v := range vals {
		if v >= 1000 {
			// A byte shift ends a pending shift: an encoder pads the
			// text codeword before 913 with 29 (a punctuation shift in
			// every sub-mode), which must not reach the next letter.
			out = append(out, byte(v-1000))
			shifted = -1
			continue
		}
		cur := sub
		if shifted >= 0 {
			cur, shifted = shifted, -1
		}
		switch cur {
		case alpha, lower:
			switch {
			case v < 26 && cur == alpha:
				out = append(out, byte('A'+v))
			case v < 26:
				out = append(out, byte('a'+v))
			case v == 26:
				out = append(out, ' ')
			case v == 27 && cur == alpha:
				sub = lower
			case v == 27:
				shifted = alpha
			case v == 28:
				sub = mixed
			case v == 29:
				shifted = punct
			}
		case mixed:
			switch {
			case mixedChars[v] != 0:
				out = append(out, mixedChars[v])
			case v == 25:
				sub = punct
			case v == 27:
				sub = lower
			case v == 28:
				sub = alpha
			case v == 29:
				shifted = punct
			}
		case punct:
			if punctChars[v] != 0 {
				out = append(out, punctChars[v])
			} else { // 29 latches back to alpha, after a latch or a shift
				sub = alpha
			}
		}
	}
	return out, nil
}

// appendBytes decodes byte compaction: five codewords (base 900) are six
// bytes (base 256); what is left at the end is one byte a codeword. full
// says a final group of exactly five codewords is six bytes (mode 924;
// under 901 the encoder would have used 924 for a multiple of six).
func appendBytes(out []byte, cw []int, full bool) []byte {
	i := 0
	for ; i+5 <= len(cw) && (i+5 < len(cw) || full); i += 5 {
		var v uint64
		for _, c := range cw[i : i+5] {
			v = v*900 + uint64(c)
		}
		var b [6]byte
		for k := 5; k >= 0; k-- {
			b[k] = byte(v)
			v >>= 8
		}
		out = append(out, b[:]...)
	}
	for _, c := range cw[i:] {
		out = append(out, byte(c))
	}
	return out
}

// appendNumeric decodes numeric compaction: up to 15 codewords (base 900)
// are a number whose decimal digits, after a leading 1, are the data.
func appendNumeric(out []byte, cw []int) ([]byte, error) {
	for i := 0; i < len(cw); i += 15 {
		v := new(big.Int)
		for _, c := range cw[i:min(i+15, len(cw))] {
			v.Mul(v, big.NewInt(900)).Add(v, big.NewInt(int64(c)))
		}
		s := v.String()
		if s[0] != '1' {
			return nil, fmt.Errorf("%w: numeric group without its leading 1", ErrFormat)
		}
		out = append(out, s[1:]...)
	}
	return out, nil
}
