"""More findings of emergency triage, written as word classes and structures.

Pain words x places of the chest, swelling words x parts of the face and throat, blood x flowing
verbs, one-sided weakness, intent / plans / farewells, breathing effort, and intake that counts as
an overdose only beside a symptom. Regular-expression fragments and pattern lists used by
:mod:`medref.compose.safety_patterns`; like the vocabulary in :mod:`medref.compose.safety_words`
they run on the normalised question.
"""

from __future__ import annotations

import re

from medref.compose.safety_words import MED

# Word classes of the findings below: kinds of pain, the places of the chest, blood flowing.
PAIN = (
    r"(?:pain|pains|ache|aching|aches|pressure|tightness|squeezing|squeezed|heaviness|heavy|burning|ripping|"
    r"tearing|crushing|stabbing|band|vice|discomfort|weight|feeling|sensation)"
)
CHEST = r"(?:chest|breastbone|sternum|heart area|heart region)"
FLOWING = (
    r"(?:pumping|pouring|gushing|spurting|squirting|spraying|flowing|streaming|dripping|running|pooling|"
    r"everywhere|coming out|going down)(?! (?:better|well|normally|properly|freely|again)\b)"
)
ONSET = re.compile(
    r"\b(?:sudden|suddenly|all of a sudden|all at once|just now|minutes? ago|mins? ago|out of nowhere|started)\b"
)
# Something unknown was taken ("vaped something a friend gave him") and a symptom follows.
SYMPTOM_NOW = re.compile(
    r"\b(?:racing|pounding|sweat\w*|seeing things|hallucinat\w*|confus\w*|drowsy|sleepy|vomit\w*|throwing up|"
    r"shak\w*|slurr\w*|faint\w*|dizzy|pale|grey|gray|breath\w*|can't stand|collaps\w*|passed out|jaw|awake|"
    r"pulse|heart rate|cold|clammy|unresponsive)\b"
)

# Intent, plans, means and farewells: need someone who has them (see ``safety._experienced``).
SUICIDE_SIGNS = (
    r"\b(?:been|keeps?|started|is|was|am) (?:cutting|burning|scratching) (?:my|his|her|their)(?:self| own)? "
    r"(?:arms?|legs?|thighs?|wrists?|skin|stomach)\b",
    r"\b(?:won't|will not|wont|not going to|don't think i'll|don't think i will) be (?:around|here|alive) "
    r"(?:tomorrow|in the morning|any ?more|much longer|for long|by)\b",
    r"\bwants? to be dead\b",
    r"\b(?:drive|driving|crash|crashing|steer)\b(?:\s+\w+){0,2}?\s+(?:off|into) (?:a |the )?(?:cliff|wall|bridge|tree|river|"
    r"lorry|truck|oncoming)\b",
    r"\b(?:takes?|need|needs|needed|enough) to (?:die|be dead|not wake up|never wake up)\b",
    r"\b(?:picturing|imagining|imagine|picture) (?:myself|himself|herself) (?:hanging|dead|dying|jumping)\b",
    r"\bsaid (?:my|his|her|their) goodbyes\b",
    r"\bhow (?:many|much) (?:of )?(?:my|his|her)\b[^.]{0,30}\b(?:would|will|to|could) stop (?:my|his|her) heart\b",
    r"\b(?:thinking|think|thoughts|thought) (?:about|of) (?:dying|being dead|killing myself|not being here)\b",
    r"\bwant (?:it|this|everything|it all) (?:all )?to stop\b",
    r"\bnot to look for (?:me|him|her|them)\b",
    r"\b(?:not|wasn't|weren't|isn't) (?:be )?(?:here|around|alive) any ?more\b",
    r"\b(?:going to|gonna|will|plan to|planning to|about to) (?:take|swallow) (?:everything|the lot|them all|"
    r"all of them|all of it|every (?:pill|tablet))\b",
    r"\b(?:i've|i have|i|he's|she's|he has|she has) (?:decided|made up (?:my|his|her) mind|made (?:my|his|her) mind up)\b"
    r"[^.]{0,30}"
    r"\b(?:tonight|today|it|end|die|goodbye)\b",
    r"\b(?:want|wants|wanted|wish|wishes|hope|hoping)\b(?:\s+\w+){0,5}?\s+(?:not|never) (?:to )?wake up\b",
    r"\bwants? to disappear\b",
    r"\b(?:on|at) (?:the )?(?:edge|ledge|top|railing) of (?:a |the )?(?:bridge|building|roof|cliff|car park|tower|"
    r"platform)\b",
    r"\b(?:standing|sitting) on (?:a |the )?(?:bridge|ledge|roof|railway|train tracks|tracks)\b",
    r"\b(?:have|got|bought|tied|made|found)\s+(?:a |the )?(?:rope|noose)\b",
    r"\bnoose\b",
    r"\b(?:walk|walking|step|stepping|run|running|throw\w*|jump\w*) (?:out )?(?:in front of|into) (?:a |the )?"
    r"(?:traffic|train|bus|lorry|truck|car)\b",
    r"\b(?:a|the|my) plan (?:for|of|on) how to do it\b|\bplan(?:ned)? (?:how|when|where) (?:to|i'll|i will) do it\b",
    r"\b(?:written|wrote|writing|left) (?:\w+ )?(?:letters?|notes?) (?:to|for) (?:my|his|her|the) (?:family|kids|"
    r"children|parents|wife|husband|mum|mom|dad)\b",
    rf"\b(?:saving|hoarding|stockpiling|collecting|stashing) (?:up )?(?:all )?(?:my|his|her|the) (?:\w+ )?"
    rf"{MED}\b(?! (?:in|for)\b)",
    r"\b(?:hose ?pipe|tube|exhaust)\b[^.]{0,40}\bcar\b|\bcar\b[^.]{0,40}\b(?:hose ?pipe|exhaust)\b",
    r"\bhow (?:many|much)\b[^.]{0,30}\b(?:it )?would (?:it )?take\b(?! to (?:work|help|feel|kick|clear|get|lower|"
    r"reduce|see|start))",
    r"\b(?:want|wants|wanted|going) to stop (?:living|being alive|existing)\b",
    # a farewell: two of sorry / love / goodbye / look after in one message
    r"\b(?:said|says|texted|messaged|wrote|sent)\b[^.]{0,30}\b(?:sorry|goodbye|loves? (?:me|us|you|everyone))\b"
    r"[^.]{0,40}\b(?:loves? (?:me|us|you|everyone)|goodbye|look after|take care of)\b",
)
# Despair that points to suicide only with a farewell or hopelessness beside it.
SUICIDE_DESPAIR = (
    r"\b(?:can't|cannot) (?:do|take|handle|cope with) (?:this|it) any ?more\b",
    r"\b(?:has|have|got|bought|found) (?:a |his |her |my )?(?:gun|firearm|shotgun)\b",
    r"\b(?:left|wrote) (?:a |me a )?(?:note|letter)\b",
    r"\b(?:only|easiest|best) way out\b",
    r"\blooking at (?:his|her|my|the) (?:gun|shotgun|rifle|rope)\b",
)
FAREWELL = re.compile(
    r"\bgoodbye|\bbye\b|\bdie\b|\bdead\b|\bdying\b|\bhang\w*|\bnothing to live for|\bend it|\bno point|\bhopeless|\bworthless|\bburden|\bsorry\b|"
    r"\bdepress\w*|\bsuicid\w*|\bnot to look for"
)
SUICIDE_EVIDENT = (
    r"\bbetter off if (?:i|he|she) (?:just )?(?:wasn't|weren't|was not|were not|wasnt) (?:here|around|alive)\b",
    r"\b(?:don't|do not|can't|cannot) see (?:a|any) way out\b|\bno way out\b",
    r"\benough to (?:not|never) wake up\b|\benough to (?:die|kill (?:me|myself))\b",
    r"\b(?:a|such a) burden (?:to|on|for) (?:everyone|everybody|my family|them|you all|my \w+)\b",
    r"\b(?:nobody|no one|no-one) (?:cares|would care|will care) (?:if|whether) (?:i|he|she) (?:live|lives|die|dies)\b",
    r"\b(?:nothing|no one|nobody|no reason) (?:left )?to live for\b",
    r"\b(?:can't|cannot|don't) see (?:any|a) future\b",
    r"\b(?:pointless|no point|no use|meaningless)\b(?:\s+\w+){0,2}?\s+(?:carrying on|going on|living|being alive|to live)\b",
    r"\b(?:sorry for everything|thanks? (?:you )?for everything|goodbye)\b[^.]{0,40}\b(?:take care of|look after|goodbye|"
    r"love you|loves? (?:me|us|you|everyone))\b",
    r"\b(?:made (?:my|his|her) mind up|made up (?:my|his|her) mind)\s*$",
    r"\bno (?:point|reason) (?:in )?(?:being alive|living|going on|carrying on|to live|to be alive)\b",
)

CHEST_PAIN = (
    rf"\b{PAIN}\b(?:\s+\w+){{0,3}}?\s+(?:in|on|across|through|under|behind|into|around|at|from)\s+(?:the\s+)?"
    rf"(?:(?:middle|centre|center|left side|front) of\s+)?(?:(?:my|his|her|their|the)\s+)?{CHEST}\b",
    rf"\b{PAIN}\s+(?:(?:in|on)\s+)?(?:the\s+)?(?:middle|centre|center|left side|front) of (?:my|his|her|the) {CHEST}\b",
    rf"\b(?:rubbing|pressing|clutching|holding|grabbing) (?:at )?(?:my|his|her|their) {CHEST}\b",
    r"\bchest\s+(?:ache|aches|aching|heaviness)\b",
    r"\b(?:pressure|pain|heaviness|tightness)\s+chest\b",
    r"\bchest (?:is |feels )?(?:on fire|like it's on fire)\b",
    rf"\b{PAIN}\b[^.]{{0,40}}\b(?:left arm|arm|jaw|neck)\b[^.]{{0,40}}\b(?:jaw|sweat\w*|clammy)\b",
    r"\b(?:sitting|standing|elephant)\b[^.]{0,10}\bon (?:my|his|her) chest\b|"
    r"\bchest feels like (?:\w+ ){0,3}(?:standing|sitting) on it\b",
)

STROKE = (
    r"\b(?:face|mouth|smile|lip|eye)\s+(?:is |was |looks |looked |has |went |gone |keeps )?(?:\w+ )?(?:drooping|"
    r"pulling|pulled|hanging|falling|dropped|twisted|bent|sagging|different|drooped) (?:to |on |down on |towards )?"
    r"one side\b",
    r"\b(?:mouth|face|smile)\s+(?:is |looks |looked |has |went |gone |also )?(?:\w+ )?(?:bent|twisted|pulled|"
    r"pulling|crooked|lopsided|sideways)\b",
    r"\bone side (?:of (?:my|his|her|the) )?(?:body|face) (?:is |has )?(?:not working|gone|weak|numb|dead|heavy|"
    r"paraly[sz]ed|not moving)\b",
    r"\b(?:left|right) side (?:of (?:my|his|her|the) (?:body|face) )?(?:just |suddenly )?(?:went|is|has gone|gone|feels|suddenly) "
    r"(?:all |very |really )?(?:weak|numb|dead|heavy|limp|floppy|paraly[sz]ed)\b",
    r"\b(?:talking|talks|speaking)\s+(?:rubbish|nonsense|gibberish)\b",
    r"\bstopped (?:talking|speaking) (?:mid|in the middle of)[- ]?(?:sentence|conversation)\b",
    r"\b(?:can't|couldn't|cannot|unable to) get (?:the |his |her |my |any )?words out\b",
    r"\bspeech (?:is |was |seems |sounds )?(?:a bit |really |all )?(?:off|not right|wrong)\b",
    r"\bvision\b[^.]{0,20}\b(?:on one side|in one eye|half)\b",
    r"\bsudden(?:ly)? (?:\w+ )?thunder(?:clap)? headache\b",
    r"\b(?:arm|hand|leg)\s+(?:just |suddenly )?(?:dropped|flopped|went (?:dead|floppy|limp))\b",
    r"\b(?:stopped|not|isn't|wasn't|stop) making (?:any )?sense\b",
    r"\b(?:doesn't|does not|didn't|can't|cannot|suddenly can't) understand what (?:i'm|i am|we're|we are|i|we|"
    r"people are|anyone is) (?:saying|say)\b",
    r"\b(?:wrong|muddled|made-up|made up) words\b",
    r"\b(?:lost|losing|loss of) (?:the )?(?:vision|sight) (?:in|of|out of) (?:one|my|his|her|the) (?:\w+ )?eye\b",
    r"\bcurtain\b[^.]{0,20}\b(?:came|coming|come|fell|falling) down\b",
    r"\bworst (?:pain|headache)\b[^.]{0,30}\b(?:of|in) (?:my|his|her) life\b",
)
# Findings that mean a stroke only when they came on suddenly ("suddenly can't hold her cup").
STROKE_SUDDEN = (
    r"\b(?:can't|cannot|couldn't|unable to) (?:hold|grip|pick up)\b",
    r"\b(?:leg|legs|knee|knees) (?:gave|gives|giving) way\b",
    r"\b(?:face|arm|hand|leg) (?:looks |looked |feels |felt )?(?:different|heavy|funny|strange|weird)\b",
)

# Faintness or collapse beside an allergen: a reaction in more than the skin.
SYSTEMIC = (
    r"\b(?:feel(?:s|ing)? (?:faint|dizzy|light-?headed)|fainted|fainting|passing out|passed out|collapsed|floppy)\b",
)
ALLERGEN = re.compile(
    r"\ballerg|\bstung\b|\bsting\b|\bpeanut|\bnuts?\b|\bcashew|\bshellfish|\bprawn|\bshrimp|\bepi-?pen|\bhives\b"
)
SWELLING = (
    r"\b(?:tongue|throat)\b(?:\s+\w+){0,3}?\s+(?:swell\w*|swollen|puff\w*|blown up|huge|ballooned|too big|"
    r"bigger|thick|enormous)\b",
)
SWELLING_NEEDS_REACTION = (
    r"\b(?:swollen|puffy|swelling) (?:lips?|face|mouth|eyes|eyelids|tongue|throat)\b",
    r"\b(?:lips?|face|mouth|eyes|eyelids|neck)\b(?:\s+\w+){0,3}?\s+(?:swell\w*|swollen|puff\w*|blow\w* up|"
    r"blown up|huge|ballooned)\b",
)

BLEEDING = (
    r"\b(?:severe|heavy|heavily|uncontrolled|profuse|lots of|a lot of)\s+(?:\w+\s+)?bleeding\b",
    r"\bdeep\b[^.]{0,15}\bbleeding\b",
    r"\bdeep (?:cut|wound|gash|laceration)\b",
    r"\bbleeding\s+(?:really |very |so )?(?:heavily|badly|bad|a lot|profusely|non-?stop|so much)\b",
    r"\bblood (?:keeps|is still|won't stop|has been) (?:coming|pouring|running|dripping)\b",
    r"\b(?:massive|huge|heavy|bad|severe|big) nose ?bleed\b",
    r"\bbleeding\s+(?:from\s+(?:\S+\s+){1,3}?)?(?:a lot|non-?stop|heavily)\b",
    r"\b(?:bleed\w*|blood|cut|wound|nosebleed)\b[^.]{0,50}?\b(?:won't|will not|wouldn't|doesn't|does not|"
    r"hasn't|has not|isn't|is not|not|can't)\s+(?:stop|quit)(?:ped|ping|ting)?\b",
    r"\b(?:can't|cannot|won't|will not|couldn't)\s+stop\s+(?:the\s+)?bleeding\b",
    r"\bbleeding\s+(?:\w+\s+){0,3}?for (?:an|over an|\d+|two|three) (?:hours?|minutes?)\b",
    r"\bkeeps? bleeding\b",
    r"\b(?:bleeding|soaking) through\b",
    r"\bsoaking (?:a |the |my )?(?:pads?|towels?|tampons?)\b",
    r"\b(?:vomit\w*|throwing up|threw up|coughing|coughed|spitting|spat|puking|puked)\s+(?:up\s+)?"
    r"(?:\w+\s+){0,4}?blood\b",
    r"\b(?:vomit\w*|throwing up|threw up|sick)\b[^.]{0,30}\bcoffee grounds?\b",
    r"\bblood in (?:(?:my|his|her|the) )?(?:vomit|sick)\b",
    r"\b(?:peeing|urinating) blood\b",
    r"\b(?:a lot of|lots of|so much) (?:bright red )?blood\b",
    r"\bblood\s+(?:is\s+)?(?:gushing|pouring|spurting|squirting|spraying|everywhere)\b",
    r"\b(?:gushing|spurting|pouring out)\b",
    r"\b(?:ha?emorrhaging|bleeding out)\b",
    r"\bbleeding (?:much|a lot|way|so much) more\b",
    r"\b(?:big|large|huge) (?:blood )?clots\b",
    r"\b(?:large|huge|big|massive) amounts? of blood\b",
    r"\b(?:passing|losing) (?:a lot of |lots of |so much )?blood\b",
    rf"\bblood\s+(?:(?:is|keeps|still|just)\s+)*{FLOWING}\b",
    r"\b(?:spraying|pouring|gushing|spurting|pumping|squirting|streaming|losing) (?:out )?(?:so much |lots of |a lot of )?"
    r"blood\b",
    r"\bbleeding\s+(?:loads|lots|like crazy|everywhere|all over|buckets)\b",
    r"\b(?:soaked|soaking|drenched)\b(?:\s+\w+){0,3}?\s+(?:towels?|tea towel|gauze|pads?|bandages?|cloths?|"
    r"dressing|tampons?|sheets)\b",
    r"\b(?:nose ?bleed|bleed\w*)\s+(?:for\s+)?(?:over\s+|more than\s+)?(?:[2-9]\d|an|forty|thirty|twenty) "
    r"(?:mins?|minutes|hours?|hrs?)\b",
    r"\b(?:vomit\w*|throwing up|threw up|coughing|coughed|spitting|puking|puked)\s+(?:up\s+)?(?:\w+\s+){0,2}?"
    r"(?:dark|bright) red\b",
    r"\b(?:soaked|soaking)\b[^.]{0,20}\b(?:still )?(?:dripping|bleeding|pouring)\b",
    r"\bnose ?bleed\b(?:\s+\S+){0,4}?\s+for (?:over |more than |about |nearly )?(?:[2-9]\d|an|forty|thirty|twenty|\d+ hours?)\b",
)

UNRESPONSIVE = (
    r"\b(?:won't|will not|doesn't|does not|isn't|not)\s+(?:answer|respond|react)(?:ing)?\s+(?:when|to (?:me|us|"
    r"anything|voice|touch|pain|shaking))\b",
    r"\b(?:won't|will not|doesn't|does not|can't|barely|hardly)\s+(?:open|opens|opening)\s+(?:his|her|their|my)\s+"
    r"eyes\b",
    r"\bknocked (?:out|unconscious)\b",
    r"\b(?:can't|cannot|couldn't|unable to) (?:rouse|stir)\b",
    r"\b(?:is|went|gone|looks|seems) (?:really |very |so )(?:\w+ and )?(?:limp|floppy)\b",
    r"\b(?:not|isn't|is not|hasn't|has not) (?:coming|come) (?:round|around|to)\b",
)

SEIZURE = (
    r"\b(?:he|she|he's|she's|they|baby|son|daughter|and|just) (?:just )?(?:went|go|goes|gone|became|turned|is|"
    r"was) (?:all |completely |very )?stiff\b",
    r"\b(?:he's|she's|he is|she is|they're|they are) (?:\w+ )?(?:fitting|seizing|convulsing)\b(?! in\b)",
    r"\b(?:twitching|jerking|shaking|staring)\b[^.]{0,40}\b(?:won't|will not|doesn't|not) stop\b",
    r"\b(?:won't|will not|doesn't|can't) stop (?:seizing|fitting|convulsing|jerking|twitching)\b",
    r"\b(?:seizures?|fits?|convulsions?)\b[^.]{0,40}\b(?:isn't|is not|not|won't|hasn't|has not) (?:stopping|stopped|stop)\b",
)

# Taken in a way that is only an overdose with symptoms beside it (``WITH_SYMPTOMS``).
TAKEN_WITH_SYMPTOMS = (
    # a dose taken twice by mistake: "forgot I already had them and took them again"
    r"\b(?:took|taken|had|given|gave|injected)\b[^.,]{0,40}\b(?:again|as well(?! as)|a second time|twice)\b",
    r"\b(?:mixed up|muddled)\b[^.]{0,60}\b(?:took|taken|given|gave|swallowed)\b",
    r"\b(?:took|drank|drinking|swigged|swallowed|had)\b[^.]{0,40}\b(?:straight|directly) (?:from|out of) the "
    r"bottle\b",
    # something unknown from someone else, with symptoms: "vaped something a friend gave him"
    r"\b(?:took|smoked|vaped|snorted|swallowed|drank|ate|injected)\s+(?:something|some stuff|some pills?|a pill|"
    r"a tablet|some powder)\s+(?:that\s+)?(?:a |his |her |my |some )?(?:\w+ )?(?:friend|mate|guy|stranger|"
    r"someone|somebody)\b",
    r"\b(?:did|done|snorted|smoked|took|had) (?:a |some |two |\d+ )?(?:line|lines|bump|bumps|hit|hits) of\b",
    # a PDE5 inhibitor with a nitrate: "took viagra with his heart spray"
    r"\b(?:viagra|cialis|sildenafil|tadalafil)\b[^.]{0,40}\b(?:gtn|nitro\w*|heart spray|isosorbide|poppers)\b|"
    r"\b(?:gtn|nitro\w*|heart spray|isosorbide|poppers)\b[^.]{0,40}\b(?:viagra|cialis|sildenafil|tadalafil)\b",
    r"\b(?:festival|party|club|rave|night out|gig)\b[^.]{0,40}\b(?:took|taken|had|dropped|necked)\b[^.]{0,20}"
    r"\b(?:pills?|tabs?|pingers|molly|mdma|ecstasy|something)\b",
)
WITH_SYMPTOMS = re.compile(rf"^(?=.*\b(?:{MED}|something|stuff|powder))(?=.*{SYMPTOM_NOW.pattern})")
