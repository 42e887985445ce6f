"""The vocabulary of emergency triage: medicines, poisons, amounts, children, breathing findings.

Regular-expression fragments shared by the categories in :mod:`medref.compose.safety_patterns`,
and the two pattern lists built most from them (``BREATHING`` and ``OVERDOSE``); they run on the
normalised question (lower case, straight apostrophes, common misspellings fixed).
"""

from __future__ import annotations

import re

# Medicines: generic nouns, a few common names, and drug-name endings (statin, olol, pril ...).
MED_NOUN = (
    r"(?:pills?|tablets?|tabs|capsules?|caps|meds|medicines?|medications?|drugs|doses|pill ?box|"
    r"painkillers?|sleeping (?:pills|tablets)|antidepressants?|opioids?|benzos?|cough syrup|syrup|"
    r"antihistamines?|antibiotics?|(?:blood )?thinners?|laxatives?|sedatives?|tranquilli?[sz]ers?|"
    r"muscle relaxants?|diet pills|cough medicine|(?:white|blue|pink|yellow|orange|green|red|little|small|round) ones)"
)
MED_NAME = (
    r"(?:xanax|valium|ativan|klonopin|tylenol|panadol|advil|motrin|aleve|aspirin|ibuprofen|calpol|nurofen|"
    r"viagra|cialis|thc|edibles|cannabis|weed|marijuana|"
    r"paracetamol|acetaminophen|benadryl|ambien|zopiclone|adderall|ritalin|lipitor|insulin|heroin|"
    r"fentanyl|ketamine|cocaine|molly|mdma|ecstasy|oxy|percocet|vicodin|codeine|tramadol|melatonin|"
    r"lithium|warfarin|coumadin|eliquis|xarelto|digoxin|metformin|clonidine|colchicine|methadone|"
    r"suboxone|seroquel|pregabalin|fent|prozac|zoloft|lexapro|wellbutrin|gabapentin|lyrica|nyquil|iron|"
    r"levothyroxine|prednisone|steroids|humira|haloperidol|morphine|naproxen|"
    r"\w+(?:statin|olol|pril|sartan|dipine|azepam|zolam|codone|morphone|cillin|mycin|floxacin|"
    r"prazole|triptyline|oxetine|pramine|barbital|profen|xetine|zodone|peridol|apine|idone|"
    r"etamol|aline|pram|afil))"
)
MED = rf"(?:{MED_NOUN}|{MED_NAME}|vitamins|gummies|supplements)"
CHILD_MED = rf"(?:{MED_NOUN}|{MED_NAME}|medicine cabinet)"
POISON = (
    r"(?:bleach|antifreeze|detergent|laundry (?:pods?|capsules?|detergent)|(?:tide |detergent )?pods?|"
    r"dishwasher (?:tablets?|pods?)|(?:button |coin |lithium )?(?:batter(?:y|ies)|cell)|rat poison|"
    r"weed ?killer|pesticides?|insecticides?|lamp oil|kerosene|paraffin|methanol|drain cleaner|"
    r"oven cleaner|toilet cleaner|cleaning products?|(?:e-?cig|vape|vaping) (?:liquid|juice)|"
    r"e-liquid|(?:eye|nose|nasal) drops|nicotine|vapes?|e-cig(?:arette)?s?|fentanyl patch|magnets|(?:wild )?mushrooms|hand sanitizer|"
    r"nail polish remover|white spirit|methylated spirits?|meths|turpentine|turps|paint thinners?|acetone|ammonia|"
    r"disinfectant|gasoline|petrol|lighter fluid|mouthwash|essential oils?|iron|"
    r"(?:rat |mouse |slug |ant )?(?:bait|pellets)|\w+ cleaner|(?:dishwasher|washing[- ]up|cleaning) "
    r"(?:liquid|fluid|spray|soap)|rinse aid|(?:poisonous|toxic|unknown|wild) (?:\w+ )?(?:plants?|berries|leaves|"
    r"mushrooms?|substance|liquid|chemicals?)|berries from (?:the|a) (?:\w+ )?plant)"
)
NUM = (
    r"(?:[5-9]|[1-9]\d{1,2}|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|a hundred|a dozen|dozens)"
)
HEDGE = r"(?:(?:about|around|like|maybe|almost|over|at least|nearly|more than|roughly|up to)\s+)?"
UNIT = (
    r"(?:mg|mcg|ml|g|grams?|milligrams?|units?|iu|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|"
    r"years?|times|am|pm|percent|kg|lbs?|pounds?|steps|miles|km|cups?|glasses|beers|drinks|shots|"
    r"puffs|sprays|drops|seconds|secs)\b"
)
BULK = (
    r"(?:all|the whole|the full|a whole|an entire|the entire|(?:my|his|her|their) (?:whole|entire)|a full|"
    r"a bunch|bunch|a handful|handfuls|lots|a lot|loads|a load|several|many|a strip|a sleeve|a box|"
    r"a bottle|the bottle|a pack|the rest|half (?:a|the|my|his|her) (?:bottle|pack|box))"
)
INGEST = (
    r"(?:swall?ow(?:ed|s)?|swoll?owed|swallo?wd|ate|eaten|eats?|eated|drank|drunk|drinks?|drinking|chewed|"
    r"bit into|sucked on|licked|ingested|"
    # the progressive only after a form of "be" ("was eating them", not "hates swallowing tablets")
    r"(?:(?<=was )|(?<=is )|(?<=were )|(?<=are )|(?<=been )|(?<='s ))(?:eating|swallowing|chewing|licking|sucking on))"
)
CHILD = (
    r"(?:baby|toddler|child|kid|kids|children|twins|boy|girl|son|daughter|grandson|grand?daughter|nephew|"
    r"niece|infant|little one|"
    r"little boy|little girl|\d+\s?(?:yo|y/o|yr|years?|months?|mo)(?:[- ]old)?)"
)

BREATHING = (
    r"\b(?:can't|cannot|can not|couldn't|unable to|struggling to|hard to|difficult to|hardly|barely)\s+"
    r"(?:breathe|breath|catch (?:my|his|her|a|their) breath|get (?:my|his|her|their) breath|get (?:enough )?air)\b",
    r"\b(?:trouble|difficulty|problems?|hard time|difficult time)\s+breathing\b",
    r"\b(?:struggling|fighting|gasping) for (?:breath|air)\b",
    r"\b(?:can't|cannot|struggling to|hard to|trouble|difficulty)\s+swallow(?:ing)?\s+(?:and|or)\s+breath\w*\b",
    r"\bbreathing (?:is |feels |gets |got )?(?:very |really |so |extremely )?(?:hard|difficult|laboured|labored)\b",
    r"\b(?:severe|severely|very|extremely|really|suddenly)\s+short(?:ness)?\s+of\s+breath\b",
    r"\bshort(?:ness)? of breath (?:at rest|while resting)\b",
    r"\bshort(?:ness)? of breath\b[^.]{0,20}\bgetting worse\b",
    r"\bbreathing (?:funny|weird|strange|strangely|noisy|oddly)\b",
    r"\b(?:turning|turned|going|gone|went) (?:blue|purple|grey|gray)\b",
    r"\b(?:baby|face|lips|skin|he|she|he's|she's) (?:is |are |looks |look )?(?:blue|purple)\b",
    r"\bgrunting\b",
    r"\bbreathless at rest\b",
    r"\bgasping\b",
    r"\bchoking\b(?! on (?:all |the |so much |my )*(?:information|info|data|work|paperwork|bills|news|words))",
    r"\bsuffocating\b",
    r"\b(?:lips|face|skin) (?:are |is |look |looks )?(?:turning )?(?:blue|dusky|grey|gray)\b",
    r"\b(?:can't|cannot|couldn't) get (?:enough )?(?:air|oxygen)\b",
    r"\bbreathing (?:really |very |so )?(?:fast|rapidly|quickly)\b",
    r"\b(?:ribs?|skin|neck|chest|tummy|belly)\b[^.,]{0,25}\b(?:sucking|pulling|caving|sinking|drawing) in\b",
    r"\b(?:sucking|pulling|caving) in (?:under|between|below) (?:his|her|the|my) ribs\b",
    r"\btoo (?:breathless|short of breath|out of breath) to (?:talk|speak|walk|move)\b",
    r"\bgrunting (?:with|on|at) (?:each|every) breath\b",
    r"\b(?:can|could) barely (?:speak|talk)\b",
    r"\bcan't finish (?:a |his |her |my )?sentences?\b",
    r"\b(?:bad|severe|serious|major|big) asthma attack\b",
    r"\bhaving (?:a|an) (?:\w+ )?asthma attack\b",
    r"\binhaler (?:isn't|is not|not|doesn't|does not|didn't|did not) (?:helping|working|help|work)\b",
    r"\b(?:oxygen|o2|sats?|saturation|spo2|pulse ox\w*)\b(?:\s+\w+){0,3}?\s+(?:[4-8]\d|9[01])\b(?!\.\d)",
    r"\b(?:inhaler|reliever|ventolin|salbutamol|albuterol|puffer|nebuli[sz]er)\b[^.]{0,40}\b(?:(?:not|isn't|doesn't|"
    r"didn't|no longer)\s+(?:helping|working|help|work)|(?:does|did|doing) nothing)\b",
    r"\b(?:chest|throat|airways?)\b[^.]{0,15}\b(?:closing|closing up|shutting)\b",
    r"\b(?:high[- ]pitched|whistling|squeaky|squeaking|rasping|crowing) (?:noise|sound)\b[^.]{0,20}\bbreath",
    r"\bstridor\b",
    r"\bbreath\w*\b[^.,]{0,20}\bstruggl\w*|\bstruggl\w*\b[^.,]{0,20}\bbreath",
    r"\bchoked?\b[^.]{0,40}\b(?:can't|cannot|unable to|not able to) (?:speak|talk|breathe|cough|make a sound)\b",
    r"\b(?:sudden|suddenly|severe|severely|very|extremely)\s+(?:\w+\s+)?(?:breathless\w*|out of breath)\b",
    r"\b(?:each|every) breath (?:is (?:a )?(?:struggle|fight|effort)|hurts)\b",
    r"\bfeel(?:s|ing)? like (?:i'm|i am|he's|she's|he is|she is) (?:drowning|suffocating|choking)\b",
    r"\bpink (?:froth|frothy|foam)\b",
    r"\b(?:out of breath|breathless|short of breath)\b[^.]{0,20}\b(?:can't|cannot|unable to)\s+(?:walk|talk|speak|"
    r"move|get up|lie down|finish)\b",
    r"\bbreathing (?:keeps |has )?(?:pausing|stopping|stops|pauses)\b",
    r"\b(?:looks?|is|are|going|turning|gone|went)\s+(?:a bit |slightly |kind of )?(?:bluish|blueish|dusky)\b",
    r"\bbreathing (?:is |feels |gets |got |sounds )?(?:\w+ and )?(?:very |really |so |extremely )?(?:noisy|rattly|"
    r"rattling|hard|difficult)\b",
    r"\bnostrils? (?:are |is )?flar\w*\b",
)
SEVERE_REACTION = re.compile(
    "|".join(BREATHING)
    + r"|\bthroat\b|\bswallow|\bwheez|\bhives\b|\bdizz|\bfaint|\bvoice\b|\bvomit|\bcough|\bpassing out"
)
BLEED_SIGNS = re.compile(
    r"\b(?:faint\w*|dizz\w*|pale|passing out|passed out|weak|vomit\w*|sick|collapsed?)\b"
)

# Someone took too much of a medicine, the wrong one, or swallowed something poisonous.
OVERDOSE = (
    r"\boverdos(?:e|ed|ing)\b",
    r"\bod(?:'d|ed|d)?\b",
    rf"\boverd(?:id|one) it with (?:the |my |his |her )?{MED}",
    r"\b(?:took|taken|take|taking|swallowed|given|gave|injected|snorted|used|popped)\s+"
    r"(?:way |far |a bit |a little )?too (?:many|much)\b",
    r"\b(?:ate|eaten|drank|drunk|drinking)\s+(?:way |far )?too (?:many|much)(?:\s+\w+){0,3}?\s+(?:of\s+)?"
    rf"(?:(?:my|his|her|the)\s+)?{MED}",
    r"\b(?:took|taken|tooked|swallowed|downed|ingested|popped)\s+(?:(?!(?:my|his|her|their)\b)\S+\s+){0,3}?"
    rf"{HEDGE}(?:(?:\d+|a few|three|four) (?:or|to) )?{NUM}(?:\s+or\s+\d+)?\s+(?!{UNIT})\w",
    r"\b(?:realised|realized|found out|noticed|discovered)\b[^.]{0,40}\btaking\b[^.]{0,30}\b(?:twice|two times|"
    r"three times|\d+ times|double|too much|too many)\b",
    rf"\b(?:took|taken|swallowed|downed|ingested|popped|ate|eaten|eat|drank|drunk|drinking|had)\s+"
    rf"(?:\w+\s+){{0,2}}?{BULK}\s+(?:\S+\s+){{0,4}}?{MED}\b",
    rf"\b(?:ate|eaten|drank|drunk|drinking|chewed|swallowed)\s+{HEDGE}{NUM}\s+(?:\S+\s+){{0,4}}?{MED}\b",
    r"\b(?:took|taken|given|gave|injected|had|swallowed)\b(?:\s+\S+){0,4}?\s+(?:\d+|two|three|four|five|ten)"
    r"\s*(?:x|times)\s+(?:my|his|her|their|the)\s+(?:\w+\s+){0,2}?(?:dose|doses|amount|dosage)\b",
    r"\b(?:took|taken|given|gave|injected)\s+(?:a\s+|my\s+|his\s+|her\s+)?(?:double|triple)\s+"
    r"(?:dose|doses|the dose|amount)\b",
    r"\b(?:took|taken|given)\s+(?:two|2|three|3)\s+doses\s+by\s+mistake\b",
    r"\b(?:took|taken|given|gave|had|injected)\s+(?:my|his|her|their|the)\s+(?:\w+\s+){0,3}?"
    r"(?:twice|two times|three times|2 times|3 times)\b",
    r"\b(?:took|taken|swallowed|ate|drank|downed)\s+(?:\d+|two|three|four|several) (?:bottles|packs|boxes|"
    r"strips|packets|sheets|blisters)\b",
    rf"\bafter (?:taking|swallowing|eating|drinking) (?:\S+\s+){{0,2}}?{BULK}\s+(?:\S+\s+){{0,4}}?{MED}\b",
    r"\b(?:took|taken|swallowed|had)\s+(?:\S+\s+){0,3}?(?:days?|weeks?)'?s?(?: worth)? of\b[^.]{0,30}\b"
    r"(?:in one day|in a day|at once|together|today)\b",
    rf"\b{MED_NOUN}\s+(?:by mistake|by accident)\b",
    rf"\b{CHILD}\b[^.]{{0,20}}\b{INGEST}\s+(?:half|most|all|the rest) (?:of )?(?:a|the) bottle\b"
    r"(?! of (?:water|milk|juice|formula|soda))",
    r"\b(?:button|coin|lithium) batter(?:y|ies)\b[^.]{0,40}\b(?:mouth|swallow\w*|missing|can't find)",
    rf"\b(?:took|taken|swallowed|ate|had|given|gave)\s+(?:\w+\s+){{0,3}}?\w+'s\s+(?:\w+\s+){{0,2}}?{MED}",
    rf"\b(?:took|taken|gave|given|had|swallowed)\b[^.]{{0,40}}\binstead of (?:my|his|her|their) (?:\w+ )?{MED}",
    r"\b(?:took|taken|had|used|swallowed|injected|given|gave)\s+(?:\S+\s+){0,3}?(?:way |far |a lot |much )?"
    r"more\b[^.]{0,30}\bthan (?:\w+ )?(?:should|prescribed|supposed|allowed|recommended)",
    r"\b(?:took|taken|given|gave|had|injected)\s+(?:\w+\s+){0,6}?instead of (?:one|1|a single|the usual|"
    r"the normal|once)\b(?!\s+of)",
    r"\bdouble[- ]dos(?:ing|ed)\b",
    r"\banother\b[^.]{0,20}\bkept (?:going|taking)\b",
    r"\b(?:took|taken|swallowed|had|ate|downed|drank)\s+(?:\w+\s+){0,2}?(?:a|the|an) (?:whole|entire|full) (?:box|bottle|"
    r"pack|packet|strip|tub|sleeve|blister) of\b(?! (?:water|milk|juice|squash|soda|pop|coke|wine|beer|raisins|sweets|candy|"
    r"chocolates?|crisps|chips|cereal|biscuits|cookies|crackers|grapes|formula|tea|coffee|lemonade)\b)",
    r"\b(?:spiked|drugged) (?:my|his|her|their|our) drinks?\b",
    r"\b(?:was|were|got|been|being) drugged\b",
    rf"\b{MED_NOUN} of (?:my|his|her|their) (?:father|mother|husband|wife|dad|mom|mum|grandfather|grandmother)\b",
    r"\b(?:gave|given|took|taken|had)\s+(?:\S+\s+){0,3}?(?:the )?wrong (?:medicine|medication|pills?|"
    r"tablets?|meds|dose|drug|syrup)\b",
    r"\b(?:took|taken|swallowed|ate|had)\s+(?:\S+\s+){0,3}?(?:days?|weeks?|months?)'?s? worth\b",
    r"\bmixed up (?:the|my|his|her|our) (?:bottles|pills|tablets|meds|medicines|medications)\b",
    r"\bgave (?:my|the|our) (?:baby|child|son|daughter|toddler|kid|infant)\b[^.]{0,30}\badult\b",
    rf"\b{INGEST}\s+(?:\S+\s+){{0,7}}?{POISON}\b",
    rf"\b{CHILD}\b(?:\s*\([^)]*\))?,?\s+(?:\S+\s+){{0,4}}?(?:{INGEST}|got into|got (?:a )?hold of|found)\s+"
    rf"(?:\S+\s+){{0,6}}?(?:{CHILD_MED}|{POISON})\b",
    rf"\b(?:i've|i have|he's|she's|he has|she has) (?:had|taken)\s+{HEDGE}{NUM}\s+(?:of (?:them|those|my|his|her)\b|"
    r"today|tonight|this morning|in (?:the last|a day|one day))",
    r"\b(?:drank|drinking|drunk|necked|alcohol|booze|wine|vodka|beer|gin|whisky|whiskey|rum|tequila|cider|pints|shots)\b"
    r"[^.]{0,60}\b(?:took|taken|taking)\b[^.]{0,30}\b(?:sleeping "
    r"(?:pills|tablets)|benzos?|xanax|valium|\w+azepam|\w+zolam|oxy\w*|opioids?|painkillers?|zolpidem|ambien|"
    r"zopiclone|tramadol|codeine|morphine|methadone|heroin|fentanyl|pregabalin|gabapentin|quetiapine|seroquel)",
    r"\b(?:an |the )?empty (?:pill )?(?:bottles?|packs?|box(?:es)?|packets?|blisters?(?: packs?)?)\b",
    r"\bpoison(?:ed|ing)\b",
    r"\b\d+(?:\.\d+)? ?(?:ml|mg|mcg|units?|tablets?|pills?|doses?|puffs?)(?: of \w+)? instead of (?:\d|one|a|the|my)",
    # a count of packs, "all of her", "the whole month's supply", "way over the limit"
    r"\b(?:took|taken|had|swallowed|ate|drank|downed|popped|used|gone through)\s+(?:\S+\s+){0,2}?(?:[2-9]|\d\d|two|three|"
    r"four|five) (?:packs|boxes|bottles|strips|packets|sheets|blisters)\b",
    rf"\b(?:took|taken|swallowed|had|ate|drank)\s+all (?:of )?(?:my|his|her|their|the) (?:\S+\s+){{0,2}}?{MED}",
    r"\b(?:whole|entire|full) (?:month|week|fortnight)'?s? (?:supply|worth|prescription)\b",
    r"\b(?:way |far |well )?over the (?:limit|maximum|max|recommended)\b",
    # the same medicine given again within the day: "gave my son his meds twice this morning"
    r"\b(?:took|taken|had|given|gave|injected)\s+(?:\S+\s+){0,8}?(?:twice|two times|three times|[2-9] times|"
    r"double)\s+(?:today|this morning|tonight|this evening|in (?:an|one) hour|within)\b",
    rf"\b{CHILD}\b[^.]{{0,40}}\b(?:given|gave|had|took|taken|swallowed)\b[^.]{{0,20}}\badult\b",
    rf"\b{CHILD}\b(?:\s+\S+){{0,8}}?\s+{INGEST}\s+(?:half|most|all|the rest) (?:of )?(?:a|the) bottle\b"
    r"(?! of (?:water|milk|juice|formula|soda))",
    rf"\b(?:had|have had|i've had)\s+{HEDGE}{NUM}\s+(?!{UNIT})(?:\S+\s+){{0,2}}?{MED}\b",
    rf"^{HEDGE}{NUM}\s+(?!{UNIT})(?:\S+\s+){{0,2}}?{MED}\b(?!\s+(?:in a|in the|per|a day|each|every|come|pack))",
    rf"\boverd(?:id|one|oing)\b(?: it)?(?: with| on)? (?:the |my |his |her )?(?:\w+ )?{MED}",
    rf"\b(?:drink|drinks|chugged|necked|downed|swigged)\s+(?:\w+\s+){{0,2}}?{BULK}\s+(?:\S+\s+){{0,4}}?{MED}\b",
    r"\b(?:taking|took|taken|been taking|had)\s+both\b[^.]{0,40}\b(?:box|boxes|pack|packs|bottle|bottles|brands?|"
    r"packets?)\b",
    rf"\b{CHILD}\b(?:\s+\S+){{0,8}}?\s+{INGEST}\s+(?:\S+\s+){{0,5}}?(?:{CHILD_MED}|{POISON})\b",
)

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
    r"\b(?:saving|hoarding|stockpiling|collecting|stashing) (?:up )?(?:all )?(?:my|his|her|the) (?:\w+ )?"
    r"(?:pills|tablets|meds|medication)\b(?! (?:in|for)\b)",
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
    r"\b(?:festival|party|club|rave|night out|gig)\b[^.]{0,40}\b(?:took|taken|had|dropped|necked)\b[^.]{0,20}"
    r"\b(?:pills?|tabs?|pingers|molly|mdma|ecstasy|something)\b",
)
WITH_SYMPTOMS = re.compile(rf"^(?=.*\b(?:{MED}|something|stuff|powder))(?=.*{SYMPTOM_NOW.pattern})")
