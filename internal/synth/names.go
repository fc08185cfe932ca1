package synth

// origin is a naming tradition with its own pools and habits.
type origin struct {
	name        string
	share       int // out of 1000 residents
	female      []string
	male        []string
	surnames    []string
	twoSurnames float64 // chance of a second surname (Hispanic naming)
	middle      float64 // chance of a second given name
	spanish     float64 // chance the resident prefers Spanish
}

// Pools are weighted by repetition: earlier names are drawn more often (see
// pick), so "García" and "María" are common, as they are in life.
var origins = []origin{
	{
		name: "hispanic", share: 300, twoSurnames: 0.7, middle: 0.45, spanish: 0.75,
		female: []string{"María", "Guadalupe", "Ana", "Rosa", "Carmen", "Josefina", "Lucía", "Sofía",
			"Isabel", "Patricia", "Dolores", "Teresa", "Francisca", "Margarita", "Gabriela", "Verónica",
			"Yesenia", "Leticia", "Alejandra", "Mercedes", "Rosario", "Consuelo", "Xiomara", "Yolanda",
			"Beatriz", "Graciela", "Maritza", "Esperanza", "Concepción", "Marisol"},
		male: []string{"José", "Juan", "Luis", "Carlos", "Francisco", "Jesús", "Miguel", "Pedro",
			"Antonio", "Manuel", "Jorge", "Alejandro", "Roberto", "Ricardo", "Eduardo", "Fernando",
			"Guillermo", "Rafael", "Santiago", "Enrique", "Ignacio", "Javier", "Héctor", "Óscar",
			"Raúl", "Ángel", "Julio", "Víctor", "Wilfredo", "Efraín"},
		surnames: []string{"García", "Rodríguez", "Martínez", "Hernández", "López", "González",
			"Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz",
			"Morales", "Reyes", "Gutiérrez", "Ortiz", "Jiménez", "Vázquez", "Castillo", "Peña",
			"Muñoz", "Ibáñez", "Zelaya", "Quiñones", "de la Cruz", "del Valle", "Santiago",
			"Colón", "Figueroa", "Ayala", "Villanueva", "Ocasio", "Betancourt", "Echeverría",
			"Montañez", "Nieves", "Yáñez"},
	},
	{
		name: "anglo", share: 280, middle: 0.3, spanish: 0.01,
		female: []string{"Mary", "Elizabeth", "Jennifer", "Sarah", "Jessica", "Emily", "Margaret",
			"Patricia", "Linda", "Susan", "Karen", "Rebecca", "Katherine", "Rachel", "Amanda",
			"Deborah", "Abigail", "Hannah", "Olivia", "Megan"},
		male: []string{"James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
			"Thomas", "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Andrew", "Joshua",
			"Kenneth", "Steven", "Edward", "Timothy"},
		surnames: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
			"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson",
			"White", "Harris", "Clark", "Lewis", "Walker", "O'Brien", "McCarthy", "Sullivan",
			"Murphy", "Kowalski", "Esposito", "Russo", "Fitzgerald", "Zimmerman", "Blackwood"},
	},
	{
		name: "african-american", share: 150, middle: 0.35, spanish: 0.01,
		female: []string{"Keisha", "Tanisha", "Aaliyah", "Jasmine", "Imani", "Ebony", "Latoya",
			"Shaniqua", "Destiny", "Monique", "Gloria", "Dorothy"},
		male: []string{"DeShawn", "Jamal", "Tyrone", "Marcus", "Darnell", "Andre", "Terrence",
			"Malik", "Jerome", "Calvin", "Reginald", "Cedric"},
		surnames: []string{"Washington", "Jefferson", "Jackson", "Johnson", "Williams", "Robinson",
			"Banks", "Freeman", "Booker", "Mosley", "Gaines", "Holloway", "Pettaway", "Dawkins"},
	},
	{
		name: "haitian", share: 60, middle: 0.5, spanish: 0.02,
		female: []string{"Marie", "Nadège", "Rose-Marie", "Fabienne", "Guerline", "Mirlande",
			"Widline", "Esther", "Micheline", "Roseline", "Ketly", "Farah"},
		male: []string{"Jean", "Pierre", "Jean-Baptiste", "Wilner", "Fritz", "Jocelyn", "Ronald",
			"Frantz", "Ricardo", "Emmanuel", "Wesner", "Dieudonné"},
		surnames: []string{"Jean-Baptiste", "Pierre", "Joseph", "Louis", "Charles", "Étienne",
			"Désir", "Saint-Fleur", "Dorvil", "Augustin", "Célestin", "Toussaint", "Fils-Aimé",
			"Noël", "Beauvais", "Jean-Louis"},
	},
	{
		name: "vietnamese", share: 40, middle: 0.8, spanish: 0,
		female: []string{"Thị Lan", "Thị Hoa", "Ngọc Anh", "Thị Mai", "Thu Hà", "Thị Hương", "Kim Linh", "Bảo Ngọc"},
		male:   []string{"Văn Minh", "Văn Hùng", "Đức Anh", "Quốc Bảo", "Văn Long", "Minh Tuấn", "Thanh Sơn", "Hữu Phước"},
		surnames: []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
			"Đặng", "Bùi", "Đỗ"},
	},
	{
		name: "arabic", share: 50, middle: 0.2, spanish: 0,
		female: []string{"Fatima", "Aisha", "Mariam", "Noor", "Layla", "Yasmin", "Huda", "Amira", "Salma", "Rania"},
		male: []string{"Mohammed", "Ahmed", "Ali", "Omar", "Yusuf", "Ibrahim", "Khaled", "Hassan",
			"Mustafa", "Abdullah", "Tariq", "Samir"},
		surnames: []string{"Al-Hassan", "Abdullah", "Haddad", "Khalil", "Mansour", "Saleh",
			"Nasser", "El-Amin", "Abu-Zaid", "Hamdan", "Karam", "Aziz", "Ben Ali"},
	},
	{
		name: "other", share: 120, middle: 0.3, spanish: 0.02,
		female: []string{"Wei", "Priya", "Ananya", "Olga", "Agnieszka", "Chiamaka", "Ngozi",
			"Mei", "Svetlana", "Aiko", "Fatoumata", "Zeynep"},
		male: []string{"Wei", "Rajesh", "Arjun", "Dmitri", "Tomasz", "Chukwuemeka", "Kwame",
			"Hiroshi", "Jun", "Mamadou", "Emre", "Oleksandr"},
		surnames: []string{"Chen", "Wang", "Li", "Patel", "Shah", "Singh", "Kowalczyk", "Nowak",
			"Okafor", "Adeyemi", "Ivanov", "Tanaka", "Diallo", "Yılmaz", "Shevchenko", "N'Diaye"},
	},
}

// nicknames maps a formal given name to what the same person may write on a
// second form.
var nicknames = map[string][]string{
	"José": {"Pepe", "Jose"}, "Francisco": {"Paco", "Pancho", "Frank"}, "Guadalupe": {"Lupe", "Lupita"},
	"María": {"Ma.", "Mari", "Maria"}, "Jesús": {"Chuy", "Jesus"}, "William": {"Bill", "Will", "Billy"},
	"Robert": {"Bob", "Rob", "Bobby"}, "Roberto": {"Beto"}, "Richard": {"Rick", "Dick"},
	"Elizabeth": {"Liz", "Beth", "Betty"}, "Margaret": {"Maggie", "Peggy"}, "James": {"Jim", "Jimmy"},
	"John": {"Jack", "Johnny"}, "Joseph": {"Joe"}, "Michael": {"Mike"}, "Charles": {"Charlie"},
	"Edward": {"Ed", "Eddie"}, "Thomas": {"Tom", "Tommy"}, "Anthony": {"Tony"}, "Antonio": {"Toño", "Tony"},
	"Alejandro": {"Alex"}, "Enrique": {"Quique"}, "Ignacio": {"Nacho"}, "Manuel": {"Manolo", "Manny"},
	"Rosario": {"Chayo"}, "Dolores": {"Lola"}, "Concepción": {"Concha"}, "Consuelo": {"Chelo"},
	"Eduardo": {"Lalo"}, "Guillermo": {"Memo"}, "Rafael": {"Rafa"}, "Santiago": {"Santi"},
	"Ricardo": {"Ricky"}, "Fernando": {"Nando"}, "Patricia": {"Paty", "Patty"}, "Katherine": {"Kate", "Katie"},
	"Jennifer": {"Jenny", "Jen"}, "Daniel": {"Danny", "Dan"}, "David": {"Dave"}, "Christopher": {"Chris"},
	"Matthew": {"Matt"}, "Andrew": {"Andy"}, "Steven": {"Steve"}, "Susan": {"Sue"}, "Deborah": {"Debbie"},
	"Rebecca": {"Becky"}, "Isabel": {"Chabela"}, "Mercedes": {"Meche"}, "Graciela": {"Chela"},
	"Francisca": {"Paca", "Pancha"}, "Josefina": {"Pepa"}, "Teresa": {"Tere"}, "Gabriela": {"Gaby"},
	"Timothy": {"Tim"}, "Kenneth": {"Ken"}, "Joshua": {"Josh"}, "Abigail": {"Abby"},
	"Mohammed": {"Muhammad", "Mohamed"}, "Ahmed": {"Ahmad"}, "Yusuf": {"Youssef"},
}

// streets of New Haven, with the ZIP code they mostly lie in.
var streets = []struct{ name, zip string }{
	{"Chapel Street", "06511"}, {"Orange Street", "06511"}, {"Whalley Avenue", "06511"},
	{"Dixwell Avenue", "06511"}, {"Grand Avenue", "06513"}, {"Ferry Street", "06513"},
	{"Lombard Street", "06513"}, {"Blatchley Avenue", "06513"}, {"Howard Avenue", "06519"},
	{"Congress Avenue", "06519"}, {"Columbus Avenue", "06519"}, {"Kimberly Avenue", "06519"},
	{"Fountain Street", "06515"}, {"Forest Road", "06515"}, {"Townsend Avenue", "06512"},
	{"Lighthouse Road", "06512"}, {"State Street", "06510"}, {"Crown Street", "06510"},
	{"Elm Street", "06510"}, {"Edgewood Avenue", "06511"}, {"Ashmun Street", "06511"},
	{"Winchester Avenue", "06511"}, {"Shelton Avenue", "06511"}, {"Exchange Street", "06513"},
	{"Poplar Street", "06513"}, {"Quinnipiac Avenue", "06513"}, {"Clinton Avenue", "06513"},
	{"Kossuth Street", "06519"}, {"Greenwich Avenue", "06519"}, {"Valley Street", "06515"},
	{"Fitch Street", "06515"}, {"Woodward Avenue", "06512"}, {"Prospect Street", "06511"},
	{"Winthrop Avenue", "06511"}, {"Sherman Avenue", "06511"}, {"James Street", "06513"},
}

// careOf are organizations whose address residents without one may use.
var careOf = []struct{ org, line1, zip string }{
	{"Columbus House", "586 Ella T. Grasso Boulevard", "06519"},
	{"Christian Community Action", "168 Davenport Avenue", "06519"},
	{"Junta for Progressive Action", "169 Grand Avenue", "06513"},
}
