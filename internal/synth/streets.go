package synth

// Street names of a mid-sized New England city (names common to many of
// them, not a map of one), with the types they take.
const cityStreetNames = `Chapel, Orange, Whalley, Dixwell, Grand, Ferry, Lombard, Blatchley, Howard,
Congress, Columbus, Kimberly, Fountain, Forest, Townsend, Lighthouse, State, Crown, Elm, Edgewood,
Ashmun, Winchester, Shelton, Exchange, Poplar, Quinnipiac, Clinton, Kossuth, Greenwich, Valley,
Fitch, Woodward, Prospect, Winthrop, Sherman, James, Main, Maple, Oak, Pine, Cedar, Walnut,
Chestnut, Spruce, Willow, Birch, Washington, Lincoln, Jefferson, Franklin, Madison, Jackson,
Monroe, Adams, Hamilton, Park, Church, School, Mill, Bridge, Water, Front, High, Center, Spring,
Summer, Union, Pleasant, Prospect, Liberty, Market, Garden, Grove, Hill, Lake, River, Forest,
Meadow, Orchard, Lafayette, Putnam, Kensington, Davenport, Dwight, Sylvan, Legion, Norton,
Derby, Ella Grasso, Truman, Ward, Lamberton, Cedar Hill, Eastern, Front, Hemingway, Lenox,
Saltonstall, Pierpont, Farren, Clay, Atwater, Wolcott, Bassett, Argyle, Hazel, Sheffield,
Starr, Goffe, Dickerman, Henry, Huntington, Munson, Newhall, Read, Shepard, Thompson, Willis,
Ashley, Bishop, Canner, Cottage, Humphrey, Lawrence, Nash, Olive, Pearl, Saint John, Wooster,
Hamilton, Hallock, Minor, Sea, Spring, Truman, Wilson, Button, Cassius, Daggett, Frank,
Gilbert, Hurlburt, Lamberton, Liberty, Portsea, Putnam, Rosette, Vernon, Wayland, Winthrop,
Arch, Bradley, Coe, Fairmont, Lloyd, Middletown, Peck, Pine Rock, Rock, Russell, Summit,
Anthony, Barnes, Clifton, Eastern, Hemlock, Lexington, Marginal, Quinnipiac, Shelter, Townsend,
Alden, Amity, Blake, Central, Fountain, Harrison, McKinley, Osborn, Pardee, Ramsdell, Springside,
Westwood, Yale, Belden, Blake, Diamond, Ferris, Glen, Heather, Ivy, Juniper, Laurel, Linden,
Magnolia, Myrtle, Poplar, Sycamore, Alder, Acorn, Beacon, Cherry, Dover, Essex, Fairfield,
Glenwood, Harbor, Hudson, Irving, Kent, Locust, Mulberry, Newton, Oxford, Prince, Quincy, Rowe,
Sargent, Temple, Upson, Vine, Wallace, Warren, York`

// streetTypes and the share of streets that carry each.
var streetTypeNames = []struct {
	long, short string
	share       int
}{{"Street", "St", 55}, {"Avenue", "Ave", 25}, {"Road", "Rd", 7}, {"Place", "Pl", 4},
	{"Court", "Ct", 3}, {"Terrace", "Ter", 3}, {"Drive", "Dr", 2}, {"Lane", "Ln", 1}}

// cityZIPs are the city's ZIP codes with their neighbourhoods.
var cityZIPs = []struct {
	zip   string
	hoods []string
}{
	{"06510", []string{"Downtown", "Wooster Square"}},
	{"06511", []string{"Dixwell", "Newhallville", "East Rock", "Dwight", "Prospect Hill"}},
	{"06513", []string{"Fair Haven", "Fair Haven Heights", "Quinnipiac Meadows", "Cedar Hill"}},
	{"06515", []string{"Westville", "Beaver Hills", "West Rock"}},
	{"06519", []string{"The Hill", "Hill North", "City Point"}},
	{"06512", []string{"Annex", "East Shore"}},
}

// careOfPlaces are shelters and community organizations whose address
// residents without one give (Newark and IDNYC accept a letter from them).
var careOfPlaces = []struct{ org, number, street, zip string }{
	{"Columbus House", "586", "Ella T Grasso Boulevard", "06519"},
	{"Christian Community Action", "168", "Davenport Avenue", "06519"},
	{"Junta for Progressive Action", "169", "Grand Avenue", "06513"},
	{"Emergency Shelter Management", "645", "Grand Avenue", "06511"},
	{"Integrated Refugee and Immigrant Services", "235", "Nicoll Street", "06511"},
}
