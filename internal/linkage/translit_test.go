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
