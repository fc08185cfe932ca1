package synth

// Vietnamese family names are few and very concentrated: about four in ten
// Vietnamese are Nguyễn. The weights (per thousand) are approximate shares.
const vietnameseSurnames = `Nguyễn=380, Trần=110, Lê=95, Phạm=70, Hoàng=30, Huỳnh=21, Phan=45,
Vũ=20, Võ=19, Đặng=21, Bùi=20, Đỗ=14, Hồ=13, Ngô=13, Dương=10, Lý=5, Đinh=6, Trương=6, Lâm=4,
Mai=4, Đoàn=4, Lương=3, Tạ=3, Trịnh=3, Cao=3, Châu=3, Tô=2, Hà=2, Quách=2, Thái=2, Kiều=1, Tăng=1,
Văn=1, La=1, Lưu=2, Diệp=1, Từ=1, Phùng=1, Khúc=1, Nghiêm=1, Âu=1, Hứa=1, Mạc=1, Triệu=1, Viên=1`

// Vietnamese middle names mark sex and lineage ("Văn" for men and "Thị"
// for women in older generations); given names carry the person.
const vietnameseMiddleMale = `Văn=40, Đức=10, Minh=10, Quốc=8, Hữu=8, Thanh=6, Công=5, Ngọc=4,
Xuân=3, Hoàng=3, Trọng=3, Quang=3, Anh=2, Duy=2, Gia=2, Tuấn=1`

const vietnameseMiddleFemale = `Thị=48, Ngọc=12, Thanh=8, Thu=6, Kim=6, Minh=4, Bảo=4, Phương=3,
Mỹ=3, Hồng=3, Diệu=2, Tuyết=1, Khánh=2, Hoài=1`

const vietnameseMale = `Anh, Minh, Hùng, Dũng, Tuấn, Hải, Long, Nam, Sơn, Phong, Thắng, Trung, Hiếu,
Khoa, Bảo, Huy, Đạt, Tâm, Tài, Phúc, Lộc, Thành, Quang, Vinh, Cường, Hòa, Lâm, Khánh, Kiên, Toàn,
Tùng, Việt, Hưng, Hoàng, Tín, Nhân, Nghĩa, Thiện, Phước, Tú, Bình, Châu, Danh, Duy, Giang, Hậu,
Hiển, Hoàn, Khải, Khang, Lợi, Luân, Mạnh, Nguyên, Nhật, Quân, Quý, Sang, Tân, Thái, Thịnh,
Thông, Tiến, Trí, Trọng, Vũ, Vương, Xuân`

const vietnameseFemale = `Lan, Hoa, Mai, Hương, Linh, Anh, Ngọc, Trang, Thảo, Hằng, Hà, Nhung, Phương,
Thủy, Vân, Yến, Loan, Hạnh, Hồng, Nga, Tuyết, Dung, Huyền, Trâm, Uyên, Vy, Nhi, Quỳnh, Diễm, My,
Thư, Hiền, Liên, Oanh, Xuân, Châu, Kim, Ly, Thu, Tâm, Bích, Chi, Duyên, Giang, Hậu, Hiền, Khánh,
Lệ, Lụa, Nguyệt, Nhàn, Phượng, Sương, Tiên, Trinh, Tú, Vi`

// American names that Vietnamese Americans, mostly those who came young,
// use as their given name or in front of it ("Tommy", "Kevin Minh").
const vietnameseAmericanMale = `Tommy, Kevin, Peter, David, Johnny, Danny, Tony, Jimmy, Andrew, Michael,
Steven, Vincent, Henry, Paul, Kenny, Victor`

const vietnameseAmericanFemale = `Tina, Jenny, Linda, Kim, Lisa, Amy, Vicky, Nancy, Christine, Julie,
Jennifer, Tiffany, Cindy, Anna, Kathy, Mary`
