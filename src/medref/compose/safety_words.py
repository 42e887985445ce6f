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
    r"e-liquid|(?:eye|nose|nasal) drops|nicotine|vapes?|e-cig(?:arette)?s?|fentanyl patch(?:es)?|magnets?|(?:wild )?mushrooms|hand sanitizer|"
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
    r"\bchoking\b(?! on (?:all |the |so much |my )*(?:information|info|data|work|paperwork|bills|news|words|cost|costs|"
    r"price|prices|fees|debt|deadlines|emails))",
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
    r"\b(?:can only|only able to|can just) (?:say|speak|get out|manage) (?:a few|one or two|two|three|single) words\b",
    r"\b(?:bad|severe|serious|major|big) asthma attack\b",
    r"\bhaving (?:a|an) (?:\w+ )?asthma attack\b",
    r"\binhaler (?:isn't|is not|not|doesn't|does not|didn't|did not) (?:helping|working|help|work)\b",
    r"\b(?:oxygen|o2|sats?|saturation|spo2|pulse ox\w*)\b(?:\s+\w+){0,3}?\s+(?:[4-8]\d|9[01])\b(?!\.\d)",
    r"\b(?:inhaler|reliever|ventolin|salbutamol|albuterol|puffer|nebuli[sz]er)\b[^.]{0,40}\b(?:(?:not|isn't|doesn't|"
    r"didn't|no longer)\s+(?:helping|working|help|work)|(?:does|did|doing) nothing)\b",
    r"\b(?:chest|throat|airways?)\b[^.]{0,15}\b(?:closing|closing up|shutting)\b",
    r"\b(?:high[- ]pitched|whistling|squeaky|squeaking|rasping|crowing) (?:noise|sound)\b[^.]{0,20}\bbreath",
    r"\bstridor\b",
    r"\b(?:asthma(?: attack)?|wheez\w*|breathing|breathlessness)\b[^.]{0,30}\b(?:not|isn't|is not) (?:getting better|"
    r"improving|easing|settling)\b",
    r"\bnot (?:getting better|improving|helping|working)\b[^.]{0,30}\b(?:inhaler|reliever|ventolin|nebuli[sz]er)\b",
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
    r"(?:in one day|in a day|at once|together|today|this morning|tonight|this evening|in one go|all together)\b",
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
    r"\b(?:took|taken|given|gave|injected|had)\s+(?:him |her |them |my \w+ |the \w+ )?(?:a |my |his |her )?"
    r"(?:double|triple|twice|two times|three times)\s+"
    r"(?:(?:my|his|her|the|their)\s+)?(?:\w+\s+){0,2}?(?:dose|doses|amount|dosage)\b",
    r"\banother\b[^.]{0,20}\bkept (?:going|taking)\b",
    r"\b(?:took|taken|had|given|gave)\b[^.]{0,40}\b(?:and |then )+(?:another|a second|an extra) (?:dose|one|tablet|pill|"
    r"lot)\b",
    r"\b(?:taking|took|taken|using|used|abusing|swallowing|drinking|drank|smoking|sniffing|huffing|eating)\b[^.]{0,40}"
    r"\bto get high\b",
    r"\b(?:gave|given|took|taken|had)\b[^.]{0,20}\b(?:morning|evening|night|bedtime) and (?:morning|evening|night|"
    r"bedtime) (?:\w+ )?(?:tablets|pills|doses|meds|medication|insulin)\b",
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

# Word sets of the rules in :mod:`medref.compose.safety` (who has a finding, and whether it is asked about).
PERSON = {
    "i", "i'm", "im", "i've", "i'd", "i'll", "me", "my", "myself", "mine", "we", "we're", "our",
    "he", "he's", "she", "she's", "his", "him", "her", "they're", "someone", "somebody",
    "husband", "wife", "son", "daughter", "mom", "mum", "mother", "dad", "father", "baby", "child",
    "kid", "friend", "partner", "brother", "sister", "grandma", "grandpa", "grandmother",
    "grandfather", "roommate", "boyfriend", "girlfriend", "toddler", "teenager", "teen", "twins", "kids",
    "children", "boy", "girl", "grandson", "granddaughter", "nephew", "niece", "flatmate", "housemate",
    "neighbour", "neighbor", "cousin", "uncle", "aunt", "hubby", "spouse", "bf", "gf", "infant",
    "grandad", "granddad", "nan", "nana", "gran", "granny", "newborn", "coworker", "colleague", "mate",
}  # fmt: skip

INFO = {
    "risk", "risks", "chance", "chances", "odds", "likelihood", "incidence", "rate", "rates",
    "cause", "causes", "caused", "causing", "associated", "linked", "effect", "effects",
    "common", "often", "frequency", "frequent", "prevent", "prevents", "prevention", "signs",
    "symptoms", "symptom", "warning", "history", "reduce", "lower", "increase", "increases",
    "antidote", "exam", "question", "essay", "student", "assignment", "lecture", "thesis", "studying",
    "pharmacology", "mortality", "morbidity", "prevalence", "epidemiology", "outcomes", "factors", "deaths",
    "homework", "novel", "story", "character", "movie", "film", "book",
}  # fmt: skip

# Words that may open a report with no subject ("Severe chest pain, help", "Took 30 pills").
LEAD_IN = {
    "just", "so", "ok", "okay", "hi", "hello", "help", "please", "pls", "plz", "sudden", "suddenly",
    "severe", "bad", "really", "very", "terrible", "sharp", "crushing", "heavy", "intense",
    "having", "have", "got", "getting", "been", "feeling", "feel", "now", "and", "am", "it's",
    "its", "it", "is", "still", "extreme", "awful", "horrible", "constant", "this", "some", "a",
    "an", "the", "also", "urgent", "emergency", "omg", "new", "keep", "keeps", "think",
    "maybe", "accidentally", "accidently", "massive", "there's", "theres", "there",
    "thinking", "about", "considering", "taking", "planning", "wanting", "tight", "dull", "stabbing", "burning", "squeezing",
    "strong", "huge", "big",
    # other findings listed before this one ("sudden loss of balance and slurred words")
    "loss", "of", "balance", "dizziness", "dizzy", "sweating", "sweaty", "nausea", "vomiting", "with",
    "fever", "high", "weakness", "numbness", "confusion", "headache", "cough", "coughing", "pale",
    "cold", "sweat", "shortness", "breath", "faint", "blurry", "vision", "left", "right", "side",
    "sided", "central", "middle",
    # a body part as the subject of a report ("nose won't stop bleeding")
    "nose", "arm", "leg", "hand", "head", "chest", "face", "lips", "tongue", "throat", "knee", "foot",
}  # fmt: skip

# A clause opening with one of these asks something ("does ...", "what is ...").
QUESTION_START = {
    "what", "what's", "whats", "how", "does", "do", "did", "can", "could", "is", "are", "was",
    "were", "why", "which", "when", "whenever", "should", "will", "would", "may", "might", "who",
    "where", "tell", "explain", "list", "compare", "define", "describe", "any",
}  # fmt: skip

# Words that make a finding mild or fleeting ("a little", "for a second").
MILD = {
    "fleeting", "brief", "quick", "second", "seconds", "moment", "mild", "mildly", "slight", "slightly",
    "little", "bit", "occasional", "occasionally", "sometimes", "minor",
}  # fmt: skip

# Common misspellings and chat shorthand of the words the patterns look for.
SPELLING = {
    r"s[ie]{1,2}zures?|seisures?|ceasures?": "seizure",
    r"unconcious|unconsious|unconscience": "unconscious",
    r"anaph?[iy]l[ae]x[iy]s|anaphalaxis|anafilaxis": "anaphylaxis",
    r"alerg(?:ic|ick)|allergick": "allergic",
    r"bleading|bleding": "bleeding",
    r"swoll?en|swolen|swolln": "swollen",
    r"breth(?:e)?|breahte": "breathe",
    r"overdoes(?:ed)?|overdosd": "overdosed",
    r"accidentaly|accidently|acidentally": "accidentally",
    r"suic[ie]dal|sucidal|suisidal": "suicidal",
    r"pian": "pain",
    r"tablts|tabelts": "tablets",
    r"rn": "right now",
    r"u": "you",
    r"ur": "your",
}
