"""Emergency triage: crises described in the question come first; information questions do not trigger."""

from __future__ import annotations

import pytest

from medref.compose.safety import CALL, CATEGORIES, CRISIS_LINE, POISON_LINE, Triage, emergency_notice, triage

POSITIVE: list[tuple[str, str]] = [
    # chest pain / heart attack
    ("I have crushing chest pain right now", "chest_pain"),
    ("My chest feels tight and heavy and I'm sweating, I'm on belatacept", "chest_pain"),
    ("Could my chest pain be caused by belatacept?", "chest_pain"),  # a report, then a question
    ("I think I'm having a heart attack", "chest_pain"),
    ("Chest pain right now, help", "chest_pain"),
    ("no fever, but my chest hurts", "chest_pain"),  # the negation ends at the comma
    ("I can't tell if this is chest pain or heartburn", "chest_pain"),  # "can't" negates "tell"
    # breathing
    ("I can't breathe after my infusion", "breathing"),
    ("My son is gasping for air", "breathing"),
    ("I'm severely short of breath and my lips are turning blue", "breathing"),
    # stroke (FAST signs, sudden severe headache)
    ("My dad's face is drooping and his speech is slurred", "stroke"),
    ("I suddenly can't lift my arm and my words are coming out wrong", "stroke"),
    ("My wife has sudden confusion and can't speak", "stroke"),
    ("I'm not sure if I'm having a stroke, my face feels numb", "stroke"),
    ("I have the worst headache of my life, it came on suddenly", "stroke"),
    ("Sudden severe headache, what do I do", "stroke"),  # no pronoun before it, but asks what to do now
    # anaphylaxis
    ("My throat is swelling after the abatacept infusion", "anaphylaxis"),
    ("My lips and tongue are swollen and I have trouble breathing", "anaphylaxis"),
    ("I think my daughter is having anaphylaxis", "anaphylaxis"),
    ("Does belatacept cause anaphylaxis? My throat is closing up", "anaphylaxis"),
    # suicidal thoughts and self-harm
    ("I want to kill myself", "suicide"),
    ("I've been having suicidal thoughts since I started this medicine", "suicide"),
    ("I don't want to live anymore, what is the dose of belatacept", "suicide"),
    ("What should I do if I feel like ending my life?", "suicide"),  # safety first: hypotheticals count
    ("I keep hurting myself and I can't stop", "suicide"),
    # overdose and poisoning
    ("I took too many of my tacrolimus pills", "overdose"),
    ("My toddler swallowed some of my mycophenolate tablets, I think he overdosed", "overdose"),
    ("I think I overdosed on belatacept", "overdose"),
    # unconscious / not breathing, seizures, bleeding
    ("My husband is unconscious and won't wake up", "unresponsive"),
    ("My baby isn't breathing", "unresponsive"),
    ("My mother has had a seizure lasting 6 minutes and is still fitting", "seizure"),
    ("My son is having a seizure right now", "seizure"),
    ("My son, who is being treated with belatacept, is having a seizure", "seizure"),
    ("I'm bleeding heavily and it won't stop", "bleeding"),
    ("I am vomiting blood after starting belatacept", "bleeding"),
    # overdose in many wordings: a count, a bulk amount, a multiple of the dose, the wrong pills
    ("I swallowed 60 Lipitor tablets an hour ago, what should I do?", "overdose"),
    ("i took 30 of my sleeping pills about 20 min ago", "overdose"),
    ("just took about 40 ibuprofen, scared now", "overdose"),  # no subject: a report
    ("Took 3 times the max dose of ambien", "overdose"),
    ("my friend just downed a whole pack of codeine pills", "overdose"),
    ("Excuse me, my father is drinking many tablet of his medicine together, what to do now", "overdose"),
    ("i mistakenly took my wife's blood pressure tablets along with mine", "overdose"),
    ("My mother-in-law took 3 days worth of her heart medicine at once", "overdose"),
    # a child who ate medicine or a household poison
    ("My 3 year old ate a bunch of my blood pressure pills", "overdose"),
    ("my son eat my pills, maybe 5 or 6, he is 2 years", "overdose"),
    ("my grandaughter swalowed my pills", "overdose"),
    ("toddler drank some of the dishwasher liquid what should I do", "overdose"),
    ("my 2yo chewed a button battery", "overdose"),
    # other categories in everyday wording
    ("severe pressure in chest wont go away pls help", "chest_pain"),
    ("it feels like an elephant is sitting on my chest", "chest_pain"),
    ("mum's face has gone droopy and she's mumbling", "stroke"),
    ("my husband suddenly can't walk and his speech is strange", "stroke"),  # "and" ends the negation
    ("sudden loss of balance and slurred words", "stroke"),
    ("i'm allergic to shellfish and accidently ate some, throat getting tight", "anaphylaxis"),
    ("life isn't worth living anymore", "suicide"),
    ("im going to kill my self", "suicide"),
    ("there's blood pouring from a wound on my leg", "bleeding"),
    ("massive nosebleed that won't quit, i take warfarin", "bleeding"),
    ("breathing is very hard, oxygen level 84", "breathing"),
    ("my father fainted and we can't bring him round", "unresponsive"),
    ("my epileptic brother has been fitting for 10 minutes", "seizure"),
    # long messages and non-native wording
    (
        "Hello, I am writing for my uncle. He is 70 and he has taken yesterday night maybe 20 of his sleeping "
        "tablets because he was confused, today he is very sleepy and not eating. What we do?",
        "overdose",
    ),
    (
        "Sorry for bad english. My small son, 3 years, he drink from the bottle of my medicine for cough, "
        "almost everything. He is sleeping now very deep.",
        "overdose",
    ),
    (
        "Not sure if this is anything but my mother (82) was eating dinner and suddenly her fork fell out of her "
        "hand, she couldn't pick it up again and her speech sounded drunk. She insists she's fine.",
        "stroke",
    ),
    (
        "Long story short, I lost my job, my partner left, and I just don't think I can keep going. I've been "
        "giving my stuff away this week.",
        "suicide",
    ),
]

NEGATIVE: list[str] = [
    # information questions about a risk
    "What is the risk of stroke with belatacept?",
    "Does belatacept cause anaphylaxis?",
    "Does abatacept cause chest pain?",
    "What is my risk of anaphylaxis with dapirolizumab pegol?",  # "my", but a question about risk
    "What is my chance of having a seizure on belatacept?",
    "Is shortness of breath a side effect of belatacept?",
    "Can belatacept cause suicidal thoughts?",
    "Does belatacept increase the chance of seizures?",
    "Is there a risk of severe bleeding with letolizumab?",
    "How common are thromboembolic events with anti-CD40L antibodies?",
    "Does belatacept cause slurred speech or confusion as a side effect?",
    "What are the signs of a stroke, like face drooping or slurred speech?",
    "What are the symptoms of a heart attack?",
    "How is anaphylaxis treated?",
    "What is the treatment of belatacept overdose?",
    "What does the label say about overdosage of belatacept?",
    "How do I recognise PTLD symptoms such as confusion?",
    # negated symptoms
    "I have no chest pain, but is belatacept safe for my heart?",
    "I don't have trouble breathing or chest pain, just a rash",
    "Denies chest pain or shortness of breath; is belatacept appropriate?",
    "I'm not suicidal, but I feel tired on belatacept",
    "I don't want to die from PTLD, how can I lower my risk?",
    # hypothetical, past history, mild, generic "you", clinical vignette
    "What should I do if I get chest pain after my infusion?",
    "I had a seizure two years ago, can I take belatacept?",
    "I had a stroke last year; is abatacept safe for me?",
    "My father had a heart attack years ago; can he take abatacept?",
    "I get short of breath when I climb stairs; can I take belatacept?",
    "What happens if you take too much tacrolimus?",
    "Can belatacept make you unconscious?",
    "A 60-year-old patient on belatacept presents with chest pain; what is the differential?",
    "Patients with a history of anaphylaxis to abatacept: can they get belatacept?",
    "My doctor says my stroke risk is high; should I avoid letolizumab?",
    # ordinary questions
    "What is the dose of belatacept for a kidney transplant?",
    "Is it safe to breastfeed on belatacept?",
    "",
    # the words of an overdose in information questions
    "what is the maximum dose of atorvastatin",
    "What happens if you take too much atorvastatin?",
    "how many paracetamol can i take in 24 hours",
    "can I take 10 melatonin tablets",  # "can I take": a question
    "What should I do if my child swallows a pill by accident?",
    "how many children are poisoned by medicines each year",
    "i didnt take too many, i took exactly one tablet, is the drowsiness normal",
    "My 3 year old ate a whole pizza, is that too much food for him?",
    "I ate too much at dinner and have indigestion",
    "I took two tylenol for my headache, can I also take ibuprofen?",
    "my dog ate my statin pill, what should I do",
    # other shared words
    "can statins cause chest pain",
    "how do I help someone having a seizure",
    "my chest hurts a little when I cough",
    "my arm feels numb when I sleep on it",
    "I get heartburn that feels like chest pain after meals",
    "I attempted suicide in 2015 and I'm doing well now, can I take isotretinoin?",
    "I used to cut myself but I've been clean for 4 years, can I take isotretinoin",
    "i'm choking on all the information about statins",
    "this paperwork is killing me, how long does the prior authorization for humira take",
    "Clinical scenario: teenager with a paracetamol overdose 4 hours ago. When to check levels?",
    "My sister is a paramedic and she told me about a patient who overdosed on insulin. How is that treated?",
    "I'm a pharmacy student and I'm writing an essay about acetaminophen overdose. What is the mechanism?",
    "can humira make my throat swell",
    "I have a lot of pills to take every morning, about 9 of them, including my lipitor. Can I take them all at once?",
]


@pytest.mark.parametrize(("question", "category"), POSITIVE)
def test_emergencies_are_detected(question: str, category: str) -> None:
    result = triage(question)
    assert result.category == category, question
    assert result.urgent
    assert result.message is not None and CALL in result.message
    assert emergency_notice(question) == result.message


@pytest.mark.parametrize("question", NEGATIVE)
def test_information_questions_do_not_trigger(question: str) -> None:
    assert triage(question) == Triage()
    assert emergency_notice(question) is None


def test_table_is_large_enough() -> None:
    assert len(POSITIVE) >= 25 and len(NEGATIVE) >= 25
    assert {c for _, c in POSITIVE} == {c.name for c in CATEGORIES}  # every category has a positive case


def test_messages_lead_with_the_condition_and_name_numbers() -> None:
    chest = triage("I have chest pain right now").message
    assert chest is not None and chest.startswith("Chest pain or pressure")
    for number in ("911", "112", "999"):
        assert number in chest
    suicide = triage("I want to end my life").message
    assert suicide is not None and CRISIS_LINE in suicide and "988" in suicide and CALL in suicide
    overdose = triage("I took too many pills").message
    assert overdose is not None and POISON_LINE in overdose
    assert CRISIS_LINE not in overdose


def test_suicide_outranks_other_findings() -> None:
    assert triage("I took too many pills because I want to die").category == "suicide"


def test_poison_line_is_added_when_a_medicine_was_also_taken() -> None:
    sleepy = triage("I took 12 oxycodone and can't stay awake")
    assert sleepy.category == "unresponsive"
    assert sleepy.message is not None and POISON_LINE in sleepy.message
    both = triage("i'm going to overdose on purpose tonight")
    assert both.category == "suicide"
    assert both.message is not None and CRISIS_LINE in both.message and POISON_LINE in both.message
    chest = triage("I have crushing chest pain right now").message
    assert chest is not None and POISON_LINE not in chest


def test_only_a_dated_past_silences_suicidal_thoughts() -> None:
    assert triage("I had suicidal thoughts last year, is sertraline safe?") == Triage()
    assert triage("I have had suicidal thoughts, is sertraline safe?").category == "suicide"


def test_curly_apostrophes_and_missing_apostrophes_are_understood() -> None:
    assert triage("I can\u2019t breathe").category == "breathing"
    assert triage("i cant breathe").category == "breathing"


def test_common_misspellings_and_shorthand_are_understood() -> None:
    assert triage("my son is having a siezure").category == "seizure"
    assert triage("i cant breth").category == "breathing"
    assert triage("my dad is unconcious").category == "unresponsive"
    assert triage("took 20 tablts rn").category == "overdose"


# Structures added with the eighth dev round: each wording here is new (in no round of the set).
STRUCTURES: list[tuple[str, str]] = [
    ("peanut allergy, had a biscuit, throat swelling", "anaphylaxis"),  # telegraphic comma fragments
    ("ate a prawn curry, lips puffing up and I'm wheezing", "anaphylaxis"),  # a person after the finding
    ("she had a fall last month and now she's fitting", "seizure"),  # "now" after a past mention
    ("a tearing pain right through his chest", "chest_pain"),  # pain word x place of the chest
    ("his neck and lips are puffing up after the wasp sting and he's wheezing", "anaphylaxis"),
    ("blood is streaming out of her leg", "bleeding"),
    ("grandad's mouth is hanging down on one side", "stroke"),
    ("mum suddenly can't grip her spoon", "stroke"),  # only with a sudden onset
    ("my son texted that he's sorry and that he loves us all, now his phone is off", "suicide"),  # a farewell
    ("i have a noose ready", "suicide"),
    ("gave my daughter 10ml of ibuprofen instead of 5ml", "overdose"),  # a quantity instead of another
    ("took something a guy at the club gave me and my heart is pounding", "overdose"),  # with a symptom
    ("every breath is a fight for my dad and his lips look dusky", "breathing"),
    ("my flatmate won't open her eyes when I shout", "unresponsive"),
]
STRUCTURE_NEGATIVES = [
    "my son is fitting in well at his new school since starting methylphenidate",
    "the blood is flowing better since I started walking daily, says my doctor",
    "I have been saving my tablets in a weekly organiser",
    "A woman collapses and is not breathing: what does the AED do?",  # someone in general
    "years ago I felt suicidal on citalopram; is escitalopram any different?",  # dated past, no number
    "quick sharp pain in my chest for a second when I stretch, then gone",  # fleeting
    "the ulcer is on one side of my tongue",
    "I can't take this anymore, my eczema itches all night",  # despair without a farewell
    "my husband's leg gave way on the stairs, he has bad knees",  # no sudden onset
    "took something for my headache that a friend recommended, is it ok with sertraline",  # no symptom
    "how can I tell if someone is suicidal",  # the finding is someone's, not the asker's
    "my daughter swallowed a button battery? no wait, it's still in the packet. How should I store them?",
]


# Structures added with the ninth dev round (again in wordings of no round).
ROUND9_STRUCTURES: list[tuple[str, str]] = [
    ("ive gone through 4 packs of ibuprofen since monday", "overdose"),  # a count of packs
    ("my husband took all of his gabapentin at lunch", "overdose"),  # "all of his" + a medicine
    ("she gave the baby his reflux medicine twice this morning", "overdose"),  # twice within the day
    ("my niece was given adult cough syrup by mistake", "overdose"),  # adult medicine to a child
    ("nose won't stop bleeding, on apixaban", "bleeding"),  # a body part as the subject of a report
    ("his hand is pumping blood", "bleeding"),  # flowing verb + blood
    ("dull ache in the middle of my chest and I'm 58 yo male", "chest_pain"),  # age and sex, first person
    ("my dad keeps rubbing his chest and looks grey", "chest_pain"),
    ("tongue feels enormous after the kiwi", "anaphylaxis"),
    ("my mum's hand just went dead and she can't find words", "stroke"),
    ("I don't think i'll be around by the weekend", "suicide"),
    ("my brother left a note saying sorry and isn't answering", "suicide"),  # a note with a farewell
]
ROUND9_STRUCTURES += [  # and the tenth
    ("my brother necked half a bottle of gin then took some of his codeine", "overdose"),  # drink + sedative
    ("i've been double dosing my lithium by mistake all week", "overdose"),
    ("took my wife's gabapentin instead of my vitamin d", "overdose"),  # someone else's, instead of mine
    ("she swallowed a whole tub of something called nytol", "overdose"),  # a whole container of
    ("we found him with empty boxes of co-codamol", "overdose"),
    (
        "my nephew was chewing them off the carpet, they're my amitriptyline",
        "overdose",
    ),  # progressive after "was"
    ("her right side just went weak at dinner", "stroke"),
    (
        "ate a prawn cracker, now I feel faint and itchy, I have a shellfish allergy",
        "anaphylaxis",
    ),  # systemic
    ("he's got nothing to live for and keeps talking about his rope", "suicide"),
    ("my daughter won't stop fitting", "seizure"),
]
ROUND9_STRUCTURES += [  # and the eleventh
    ("the agency nurse gave dad his morning and night tablets together", "overdose"),
    ("my cousin has been drinking cough syrup to get high and is swaying", "overdose"),
    ("he chewed one of his fentanyl patches", "overdose"),  # the plural of a listed poison
    ("she is in the garage with a hosepipe on the car", "suicide"),
    ("I've been hoarding my quetiapine", "suicide"),  # any medicine name, not only "pills"
    ("if she leaves me I'll take all my tablets", "suicide"),  # the negation governs another clause
    ("my son can only say two words at a time, his asthma is bad", "breathing"),
    ("my girl is having a febrile seizure and it isn't stopping", "seizure"),
]
ROUND9_STRUCTURES += [  # and the twelfth
    ("mum swallowed three days of her tablets this morning", "overdose"),
    ("he says he's going to crash the car into a tree", "suicide"),
    ("it's pointless going on", "suicide"),
    (
        "pain in my chest into my jaw, had bypass surgery last year",
        "chest_pain",
    ),  # the past is another phrase's
    ("dad stopped speaking mid sentence", "stroke"),
    ("she said she'll end it all tonight", "suicide"),
    ("I took 25 paracetamol last night", "overdose"),  # a recent past still counts for an overdose
]
ROUND9_STRUCTURES += [  # and the thirteenth
    ("accidentally gave him twice his usual insulin dose", "overdose"),
    ("toddler swallowed a magnet", "overdose"),
    ("considering taking an overdose on purpose", "suicide"),  # intent words open a subjectless report
    ("dull pressure across my chest, clammy", "chest_pain"),
    ("his asthma is not improving with the nebuliser", "breathing"),
]
ROUND9_STRUCTURES += [  # and the fourteenth
    ("mum had her bisoprolol and then another dose an hour later", "overdose"),
    ("he used his GTN spray after taking sildenafil and now feels faint", "overdose"),  # nitrate + PDE5
    ("can hardly breathe, copd, nebuliser doing nothing", "breathing"),  # "can" opening a statement
]
ROUND9_NEGATIVES = [
    "Case: child ingested 10 iron tablets, what is the antidote?",  # no "i" read inside "iron"
    "can a teenager be poisoned by energy drinks",  # "a teenager": anyone
    "i had a nosebleed over the weekend, can I still take aspirin",  # past
    "my dad has a gun licence, can he shoot while on warfarin",  # a gun with no despair beside it
    "my mum left a note for the carer about her tablets",
    "my kid hates swallowing tablets, what can I try",  # a gerund that is not an intake
    "I drank a whole bottle of water with my tablets this morning",
    "my son didn't swallow the magnet, it was under the sofa",  # the intake is negated
    "my methotrexate is taken once a week on sundays, can I move the day",  # "once a week" is no past
    "can i have a beer the day after taking diazepam",  # asking about doing it
    "had a fit after a night out in my twenties, can I take tramadol",  # dated past
    "I don't think I have chest pain, more of a stitch",  # a cognition verb keeps the negation
    "my daughter had a fit with her temperature yesterday, fine since, can she swim",  # recent past
    "choking on the price of my insulin",  # a figure of speech
    "I had a stroke in 2021 and still have a weak hand, is physio worth it",  # still: the past lingers
    "how should I speak with my son about suicide after his friend died",  # a conversation's topic
]


@pytest.mark.parametrize(("question", "category"), STRUCTURES + ROUND9_STRUCTURES)
def test_new_structures_are_detected(question: str, category: str) -> None:
    assert triage(question).category == category, question


@pytest.mark.parametrize("question", STRUCTURE_NEGATIVES + ROUND9_NEGATIVES)
def test_new_structures_keep_information_questions_quiet(question: str) -> None:
    assert triage(question) == Triage(), question
