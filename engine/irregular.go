package engine

import "strings"

// irregularTable lists English irregular verbs and plurals, one group per
// line, the base form first: a word written with '~' that appears anywhere
// in a group matches every form of the group, and the regular inflections
// of its base (take~ → takes, taking, took, taken). Verbs whose past is
// regular in common use (seize, kill, attack) are not listed; the stemmer
// handles them. Written for this project from general knowledge of English
// grammar.
const irregularTable = `
arise arises arose arisen arising
awake awoke awoken
be am is are was were been being
bear bore borne born
beat beaten
become became
begin began begun
behold beheld
bend bent
beset
bet
bid
bind bound
bite bit bitten
bleed bled
blow blew blown
break broke broken
breed bred
bring brought
broadcast
build built
burn burnt
burst
buy bought
cast
catch caught
choose chose chosen
cling clung
come came
cost
creep crept
cut
deal dealt
dig dug
do does did done
draw drew drawn
dream dreamt
drink drank drunk
drive drove driven
dwell dwelt
eat ate eaten
fall fell fallen
feed fed
feel felt
fight fought
find found
flee fled
fling flung
fly flies flew flown
forbid forbade forbidden
forecast
foresee foresaw foreseen
forget forgot forgotten
forgive forgave forgiven
freeze froze frozen
get got gotten
give gave given
go goes went gone
grind ground
grow grew grown
hang hung
have has had
hear heard
hide hid hidden
hit
hold held
hurt
keep kept
kneel knelt
know knew known
lay laid
lead led
lean leant
leap leapt
learn learnt
leave left
lend lent
let
lie lay lain lying
light lit
lose lost
make made
mean meant
meet met
mislead misled
mistake mistook mistaken
outrun outran
overcome overcame
overrun overran
override overrode overridden
oversee oversaw overseen
overtake overtook overtaken
overthrow overthrew overthrown
pay paid
prove proven
put
quit
read
rebuild rebuilt
rid
ride rode ridden
ring rang rung
rise rose risen
run ran
say says said
see saw seen
seek sought
sell sold
send sent
set
shake shook shaken
shed
shine shone
shoot shot
show shown
shrink shrank shrunk
shut
sing sang sung
sink sank sunk
sit sat
slay slew slain
sleep slept
slide slid
sling slung
slit
speak spoke spoken
speed sped
spend spent
spill spilt
spin spun
spit spat
split
spread
spring sprang sprung
stand stood
steal stole stolen
stick stuck
sting stung
stink stank stunk
strike struck stricken
strive strove striven
swear swore sworn
sweep swept
swim swam swum
swing swung
take took taken
teach taught
tear tore torn
tell told
think thought
throw threw thrown
thrust
tread trod trodden
undergo undergoes underwent undergone
understand understood
undertake undertook undertaken
uphold upheld
upset
wake woke woken
wear wore worn
weave wove woven
weep wept
win won
wind wound
withdraw withdrew withdrawn
withhold withheld
withstand withstood
wring wrung
write wrote written

man men
woman women
child children
person people
foot feet
tooth teeth
goose geese
mouse mice
ox oxen
wife wives
life lives
knife knives
thief thieves
wolf wolves
half halves
leaf leaves
shelf shelves
self selves
loaf loaves
calf calves
elf elves
scarf scarves
hoof hooves
crisis crises
analysis analyses
thesis theses
hypothesis hypotheses
basis bases
diagnosis diagnoses
oasis oases
axis axes
criterion criteria
phenomenon phenomena
medium media
datum data
bacterium bacteria
memorandum memoranda
nucleus nuclei
radius radii
stimulus stimuli
alumnus alumni
appendix appendices
index indices
matrix matrices
mujahid mujahideen mujahidin mujahedeen mujahedin
`

// irregular maps each form of the table to the indices of its groups.
var irregular, irregularList = func() (map[string][]int, [][]string) {
	m := map[string][]int{}
	var groups [][]string
	for _, line := range strings.Split(irregularTable, "\n") {
		g := strings.Fields(line)
		if len(g) == 0 {
			continue
		}
		for _, f := range g {
			m[f] = append(m[f], len(groups))
		}
		groups = append(groups, g)
	}
	return m, groups
}()

// irregularGroups returns the groups of the irregular table that hold w.
func irregularGroups(w string) [][]string {
	ids := irregular[w]
	out := make([][]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, irregularList[id])
	}
	return out
}
