package synth

// origin is a naming tradition with its habits; its names come from the
// community's pools (pools.go), the same the city generator draws from.
type origin struct {
	name        string
	share       int // out of 1000 residents
	community   Community
	twoSurnames float64 // chance of a second surname (Hispanic naming)
	middle      float64 // chance of a second given name
	spanish     float64 // chance the resident prefers Spanish
}

var origins = []origin{
	{name: "hispanic", share: 300, community: Hispanic, twoSurnames: 0.7, middle: 0.45, spanish: 0.75},
	{name: "anglo", share: 280, community: Anglo, middle: 0.3, spanish: 0.01},
	{name: "african-american", share: 150, community: AfricanAmerican, middle: 0.35, spanish: 0.01},
	{name: "haitian", share: 60, community: Haitian, middle: 0.5, spanish: 0.02},
	{name: "vietnamese", share: 40, community: Vietnamese, spanish: 0},
	{name: "arabic", share: 50, community: Arabic, middle: 0.2, spanish: 0},
	{name: "other", share: 120, community: Other, middle: 0.3, spanish: 0.02},
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
