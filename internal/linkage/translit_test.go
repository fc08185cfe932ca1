package linkage

import "testing"

func TestSkeletonAcrossScripts(t *testing.T) {
	same := [][2]string{
		{"عبد الله", "Abdallah"}, {"عبد الله", "Abdullah"}, {"محمد", "Mohammed"}, {"محمد", "Muhammad"},
		{"يوسف", "Youssef"}, {"يوسف", "Yusuf"}, {"فاطمة", "Fatima"}, {"حسين", "Hussein"}, {"خالد", "Khaled"},
		{"خالد", "Khalid"}, {"عبد الرحمن", "Abdul Rahman"}, {"عبد الرحمن", "Abdulrahman"}, {"ياسمين", "Yasmin"},
		{"وليد", "Walid"}, {"المصري", "Al-Masri"}, {"المصري", "Masri"}, {"حداد", "Haddad"}, {"منصور", "Mansour"},
		{"قاسم", "Kassem"}, {"شاهين", "Shaheen"}, {"عثمان", "Othman"},
	}
	for _, p := range same {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a != b || a == "" {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q, want equal", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"محمد", "Ahmed"}, {"فاطمة", "Aisha"}, {"حداد", "Khalil"}, {"يوسف", "Ibrahim"}}
	for _, p := range differ {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a == b {
			t.Errorf("Skeleton(%q) = Skeleton(%q) = %q, want different", p[0], p[1], a)
		}
	}
}

// FuzzCompareScripts compares two arbitrary names — Arabic script,
// Vietnamese with its diacritics, Latin transliterations, broken UTF-8 —
// in both modes, as given name and as surname: never a crash, a level in
// range, the same level either way round for the surname, and a form
// compared with itself exact.
func FuzzCompareScripts(f *testing.F) {
	seeds := [][2]string{
		{"عبد الله", "Abdallah"}, {"Nguyễn Văn Minh", "Nguyen Minh"}, {"محمد", "Mohammed"}, {"يوسف", "Youssef"},
		{"المصري", "Al-Masri"}, {"Trần Thị Thu", "Tran Thu"}, {"\xff\xfe", "ال"}, {"ـ", "و"}, {"", "عبد"},
		{"Ма́рия", "Maria"}, {"李", "Li"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	nick := NewNicknames()
	enc, err := NewEncoder(testKey())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, x, y string) {
		a := Record{GivenNames: x, FirstSurname: y, DateOfBirth: "1980-01-02"}
		b := Record{GivenNames: y, FirstSurname: x, DateOfBirth: "1980-01-02"}
		pa, pb := prepare(&a, nick), prepare(&b, nick)
		for _, v := range []Vector{comparePlain(pa, pb, nick), comparePlain(pb, pa, nick)} {
			for fld := Field(0); fld < numFields; fld++ {
				if l := v.Get(fld); l >= numLevels {
					t.Fatalf("compare %q/%q: %s level %d out of range", x, y, fld, l)
				}
			}
		}
		if l := comparePlain(pa, pa, nick).Get(Surname); pa.surFull != "" && l != Exact {
			t.Fatalf("surname %q compared with itself: %v, want exact", y, l)
		}
		ea, eb := enc.Encode(a), enc.Encode(b)
		if l, m := compareEncoded(&ea, &eb).Get(Surname), compareEncoded(&eb, &ea).Get(Surname); l != m {
			t.Fatalf("bloom surname %q vs %q: %v one way, %v the other", y, x, l, m)
		}
		Skeleton(x)
		consonantKey(x)
	})
}
