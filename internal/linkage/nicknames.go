package linkage

// nicknameGroups lists given names that one person may use interchangeably:
// a formal name, its nicknames and short forms, in English and Spanish (and a
// few transliteration variants). A name may sit in several groups ("Alex",
// "Beto", "Tony").
var nicknameGroups = [][]string{
	{"jose", "pepe", "chepe", "pepito", "joseito"},
	{"francisco", "paco", "pancho", "frank", "cisco", "kiko", "curro", "paquito"},
	{"guadalupe", "lupe", "lupita"},
	{"maria", "mari", "mary", "maruca"},
	{"jesus", "chuy", "chucho"},
	{"william", "bill", "will", "billy", "willy", "liam"},
	{"robert", "bob", "rob", "bobby", "robbie", "bert"},
	{"roberto", "beto", "tito"},
	{"alberto", "beto", "al"},
	{"richard", "dick", "rick", "rich", "ricky"},
	{"elizabeth", "liz", "beth", "betty", "lisa", "eliza", "libby"},
	{"margaret", "maggie", "peggy", "meg", "marge"},
	{"james", "jim", "jimmy", "jamie"},
	{"john", "jack", "johnny", "jon"},
	{"joseph", "joe", "joey"},
	{"michael", "mike", "mikey", "mick"},
	{"charles", "charlie", "chuck", "chaz"},
	{"edward", "ed", "ted", "eddie", "ned"},
	{"thomas", "tom", "tommy"},
	{"anthony", "tony"},
	{"antonio", "tono", "tony"},
	{"alejandro", "alex", "alejo", "jandro"},
	{"alexander", "alex", "sasha", "xander", "sandy"},
	{"alexandra", "alex", "sasha", "sandra", "lexi"},
	{"enrique", "quique", "kike"},
	{"ignacio", "nacho"},
	{"manuel", "manolo", "manny"},
	{"rosario", "chayo", "charo"},
	{"dolores", "lola", "loli"},
	{"concepcion", "concha", "conchita"},
	{"consuelo", "chelo"},
	{"eduardo", "lalo", "eddie"},
	{"gerardo", "gerald", "jerry", "gerry"},
	{"guillermo", "memo"},
	{"luis", "lucho"},
	{"rafael", "rafa"},
	{"santiago", "santi", "chago"},
	{"jorge", "coco"},
	{"ricardo", "ricky", "richi"},
	{"fernando", "nando", "fer"},
	{"patricia", "paty", "patty", "pat", "trish"},
	{"catherine", "kate", "katie", "cathy", "kathy", "cat"},
	{"katherine", "kate", "katie", "kathy"},
	{"jennifer", "jen", "jenny"},
	{"daniel", "dan", "danny"},
	{"david", "dave", "davey"},
	{"samuel", "sam", "sammy"},
	{"benjamin", "ben", "benny"},
	{"nicholas", "nick", "nicky"},
	{"christopher", "chris", "topher"},
	{"matthew", "matt", "matty"},
	{"andrew", "andy", "drew"},
	{"steven", "steve", "stevie"},
	{"stephen", "steve", "stevie"},
	{"susan", "sue", "susie"},
	{"deborah", "debbie", "deb"},
	{"rebecca", "becky", "becca"},
	{"victoria", "vicky", "tori"},
	{"isabel", "chabela", "isa", "bela"},
	{"mercedes", "meche"},
	{"graciela", "chela"},
	{"francisca", "paca", "pancha", "paquita"},
	{"josefina", "pepa", "pepita", "fina"},
	{"teresa", "tere", "teri"},
	{"gabriel", "gabe", "gabo"},
	{"gabriela", "gaby", "gabi"},
	{"ernesto", "neto"},
	{"armando", "mando"},
	{"refugio", "cuca"},
	{"socorro", "coco"},
	{"anastasio", "tacho"},
	{"pedro", "perico"},
	{"juan", "juanito"},
	{"ana", "anita"},
	{"carlos", "carlitos", "charlie"},
	{"jacinto", "chinto"},
	{"margarita", "magui", "rita"},
	{"salvador", "chava"},
	{"vicente", "chente"},
	{"jaime", "jimmy"},
	{"lawrence", "larry"},
	{"leonard", "leo", "len", "lenny"},
	{"raymond", "ray"},
	{"ronald", "ron", "ronnie"},
	{"donald", "don", "donny"},
	{"timothy", "tim", "timmy"},
	{"gregory", "greg"},
	{"jeffrey", "jeff"},
	{"joshua", "josh"},
	{"kenneth", "ken", "kenny"},
	{"jonathan", "jon", "jonny"},
	{"zachary", "zach", "zack"},
	{"abigail", "abby"},
	{"barbara", "barb", "barbie"},
	{"cynthia", "cindy"},
	{"dorothy", "dot", "dottie"},
	{"jacqueline", "jackie"},
	{"judith", "judy"},
	{"kimberly", "kim"},
	{"pamela", "pam"},
	{"samantha", "sam", "sammy"},
	{"sarah", "sara"},
	{"theresa", "terry", "tess"},
	{"virginia", "ginny"},
	{"mohammed", "muhammad", "mohamed", "mohammad", "mohamad", "mehmet"},
	{"abdullah", "abdallah"},
	{"ahmed", "ahmad"},
	{"yusuf", "yousef", "youssef"},
	{"ibrahim", "abraham"},
	// The same name in Spanish, French and English: immigrants give the
	// English form on some forms ("Juan" and "John", "Pierre" and "Peter").
	{"juan", "john", "jean", "johnny"},
	{"jose", "joseph", "joe", "josef"},
	{"pedro", "peter", "pierre", "pete"},
	{"miguel", "michael", "michel", "mike"},
	{"guillermo", "william", "guillaume", "will"},
	{"enrique", "henry", "henri", "hank"},
	{"jorge", "george", "georges"},
	{"luis", "louis", "lewis"},
	{"carlos", "charles", "charlie"},
	{"eduardo", "edward", "edouard", "eddie"},
	{"ricardo", "richard", "rick"},
	{"roberto", "robert", "bob"},
	{"tomas", "thomas", "tom"},
	{"santiago", "jaime", "james", "jacques", "diego"},
	{"alejandro", "alexander", "alexandre", "alex"},
	{"andres", "andrew", "andre", "andy"},
	{"pablo", "paul"},
	{"juana", "jane", "jeanne", "joan"},
	{"isabel", "elizabeth", "isabelle", "elisabeth"},
	{"catalina", "catherine", "katherine", "catherine"},
	{"teresa", "theresa", "therese"},
	{"margarita", "margaret", "marguerite"},
	{"rosa", "rose"},
	{"elena", "helen", "helene", "ellen"},
	{"luisa", "louise"},
	{"ana", "ann", "anna", "anne"},
	{"vicente", "vincent"},
	{"esteban", "stephen", "steven", "etienne"},
	{"felipe", "philip", "philippe"},
	{"mateo", "matthew", "mathieu"},
	{"marcos", "mark", "marc"},
	{"lucas", "luke", "luc"},
	{"nicolas", "nicholas", "nick"},
	{"francisco", "francis", "francois"},
	{"antonio", "anthony", "antoine"},
	{"gabriel", "gabrielle"},
	{"emmanuel", "manuel", "manny", "manno"},
	{"hussein", "husain", "hussain", "husein"},
	{"hassan", "hasan"},
	{"michelle", "michele", "shelly"},
	{"khaled", "khalid"},
	{"omar", "umar"},
	{"osama", "usama"},
	{"saeed", "said", "sayed", "saied"},
	{"fatima", "fatma", "fatimah", "fatema"},
	{"aisha", "aicha", "ayesha", "aysha"},
	{"mariam", "maryam", "miriam"},
	{"zainab", "zeinab", "zaynab"},
	{"noor", "nour", "nur"},
	{"layla", "leila", "laila"},
	{"yasmin", "yasmine", "jasmine"},
	{"mustafa", "mostafa", "moustafa"},
	{"tariq", "tarek", "tarik"},
}

// Nicknames indexes nicknameGroups: each folded name maps to the groups it
// belongs to. Build it once with NewNicknames and share it; it is read-only.
type Nicknames map[string][]uint16

// NewNicknames builds the nickname index.
func NewNicknames() Nicknames {
	n := make(Nicknames)
	for i, g := range nicknameGroups {
		for _, name := range g {
			n[name] = append(n[name], uint16(i))
		}
	}
	return n
}

// Same reports whether a and b are forms of one given name ("pepe", "jose").
func (n Nicknames) Same(a, b string) bool {
	for _, x := range n[a] {
		for _, y := range n[b] {
			if x == y {
				return true
			}
		}
	}
	return false
}

// apart reports whether a and b are both names the table knows that share
// no group: two names, not two forms of one ("hassan", "hussein").
func (n Nicknames) apart(a, b string) bool {
	_, okA := n[a]
	_, okB := n[b]
	return okA && okB && !n.Same(a, b)
}

// Canonical returns the formal name of a's first group, or a itself; used for
// blocking keys, where one key per name is enough.
func (n Nicknames) Canonical(a string) string {
	if g, ok := n[a]; ok {
		return nicknameGroups[g[0]][0]
	}
	return a
}
