"""Event rules, including the hard cases from the labelling guide (sentences written for tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.matcher import Matcher, default_watchlist_path, load_watchlist
from bot.types import Match, Story

MATCHER = Matcher(load_watchlist(default_watchlist_path()))


def classify(title: str, summary: str = "") -> Match:
    return MATCHER.classify(Story("t", "k", "", title, summary, datetime(2024, 1, 1, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("title", "events"),
    [
        ("Zentrix raises $40M to build AI agents for insurers", {"funding"}),
        ("Zentrix lands $12M seed round for its AI copilot", {"funding"}),
        ("AI startup Zentrix is in talks to raise at a $1B valuation", {"funding"}),
        ("Zentrix partners with Anthropic to bring Claude to hospitals", {"partnership"}),
        ("Zentrix and Mistral AI team up on European AI models", {"partnership"}),
        ("Zentrix signs multi-year cloud deal with Google Cloud", {"partnership"}),
        ("Nvidia acquires AI inference startup Zentrix", {"acquisition"}),
        ("Zentrix gets acquired by Databricks", {"acquisition"}),
        ("Microsoft invests $2B in AI lab Zentrix", {"funding", "partnership"}),
        ("Zentrix ends its AI partnership with OpenAI", {"partnership"}),
        ("Zentrix renegotiates its AI licensing deal with Meta", {"partnership"}),
    ],
)
def test_events(title: str, events: set[str]) -> None:
    m = classify(title)
    assert set(m.events) == events, m.signals


@pytest.mark.parametrize(
    "title",
    [
        "Meet Zentrix, your AI research partner",  # a product called a partner
        "Zentrix files for an IPO as AI demand soars",  # IPO is not funding
        "Vantor Ventures closes $300M third fund to back AI startups",  # VC fund close
        "Government launches $50M AI grant programme for universities",  # grants
        "Authors sue Zentrix over AI training data",  # lawsuit
        "Save $300 on AI conference tickets before prices rise",  # promotion
        "Zentrix launches a new AI model for lawyers",  # product launch
        "How to raise a Series A for your AI startup",  # advice
    ],
)
def test_non_events(title: str) -> None:
    m = classify(title)
    assert not m.events, (title, m.signals)
    assert not m.flagged


def test_acquisition_not_partnership_when_deal_is_the_purchase() -> None:
    m = classify("Nvidia agrees to acquire Zentrix in $700M deal")
    assert set(m.events) == {"acquisition"}


def test_summary_supplies_event_when_title_is_vague() -> None:
    m = classify(
        "Helping clinics adopt AI",
        "OpenAI is partnering with Zentrix Health and Medora to roll out AI scribes.",
    )
    assert "partnership" in m.events
    assert m.flagged


def test_background_acquisition_in_summary_is_ignored() -> None:
    m = classify("This AI ring records notes", "It is made by Zentrix, which was acquired by Meta in 2021.")
    assert not m.events


def test_alert_needs_ai() -> None:
    m = classify("Zentrix raises $40M to expand its bakery chain")
    assert m.events == ("funding",)
    assert not m.ai and not m.flagged


def test_signals_and_confidence() -> None:
    m = classify("Zentrix raises $40M Series A to build AI agents")
    assert "funding:raise-amount" in m.signals
    assert "amount" in m.signals and "round" in m.signals
    assert 0.5 < m.confidence <= 1.0
    assert classify("Zentrix launches an AI model").confidence == 0.0


def test_amount_is_the_raise_not_the_valuation() -> None:
    m = classify("AI startup Zentrix raises $300M at a $5B valuation")
    assert m.amount is not None and m.amount.value == 300_000_000
    m = classify("AI startup Zentrix hits $5B valuation")
    assert m.events == ("funding",) and m.amount is None


# Phrasings found missing on the clustering corpus (a second, independently labelled set of
# real stories), written here in our own words.
@pytest.mark.parametrize(
    ("title", "events", "parties"),
    [
        # a partnership ending is partnership news, whatever the verb
        ("Quorvia Exits Zentrix AI Deal After Licensing Row", {"partnership"}, ("Quorvia", "Zentrix")),
        ("Quorvia quits its AI chip pact with Zentrix", {"partnership"}, None),
        ("Quorvia backs out of AI cloud contract with Zentrix", {"partnership"}, None),
        # valuation talk is funding news (the label guide: "in talks", "seeks a valuation")
        ("AI startup Zentrix eyes $8B valuation in new talks", {"funding"}, ("Zentrix",)),
        ("Zentrix targeting a $2B+ post-money valuation for its AI agents", {"funding"}, None),
        # money from a named investor
        ("AI lab Zentrix confirms ‘major’ investment from Quorvia", {"funding"}, ("Zentrix", "Quorvia")),
        ("Zentrix AI taps a credit line from Quorvia Bank", {"funding"}, None),
        # a joint deal written as a possessive pair
        ("Inside Quorvia and Zentrix’s AI chip deal", {"partnership"}, ("Quorvia", "Zentrix")),
        # an acquisition hedged with an adverb
        ("Quorvia strikes a deal to possibly buy AI startup Zentrix", {"acquisition"}, None),
        # a share of a company is a stake (funding), not a takeover
        # (by a company, not a VC firm: a strategic investment, so partnership news too)
        ("Quorvia to acquire 49 percent of AI startup Zentrix", {"funding", "partnership"}, None),
        # partners enlisted
        ("Zentrix ropes in Quorvia and Nexaro to build AI chips", {"partnership"}, None),
        # a company chosen as another's partner or provider, or picked to power its product
        ("Zentrix selects Quorvia as its preferred cloud provider for AI training", {"partnership"},
         ("Zentrix", "Quorvia")),
        ("Zentrix chooses Quorvia as its AI partner", {"partnership"}, ("Zentrix", "Quorvia")),
        ("Quorvia picks Zentrix to power its AI assistant", {"partnership"}, ("Quorvia", "Zentrix")),
        ("Zentrix teams with Quorvia on AI safety research", {"partnership"}, ("Zentrix", "Quorvia")),
        ("Zentrix partners Quorvia to bring AI to hospitals", {"partnership"}, ("Zentrix", "Quorvia")),
        ("Zentrix and Quorvia sign strategic alliance for generative AI", {"partnership"}, None),
        ("AI startup Zentrix reels in $35M to build agents for logistics", {"funding"}, ("Zentrix",)),
        ("AI startup Zentrix scoops $22M for insurance agents", {"funding"}, ("Zentrix",)),
        ("Quorvia tapped by Nexaro to build AI supercomputer", {"partnership"}, ("Quorvia", "Nexaro")),
        ("Quorvia signs on as Nexaro's AI infrastructure partner", {"partnership"}, None),
        # a joint pledge by a list of companies
        ("Zentrix, Quorvia, and Nexaro pledge $20 million for AI literacy", {"partnership"}, None),
        # the label guide: a tender offer at a new valuation, or new shares sold, is funding
        ("AI lab Zentrix plans employee tender offer at $90B valuation", {"funding"}, ("Zentrix",)),
        ("Robotics startup Zentrix to sell up to $300M in new shares", {"funding"}, ("Zentrix",)),
        # deals being negotiated, memoranda, supply agreements
        ("Zentrix in talks with Quorvia over search integration, sources say", {"partnership"},
         ("Zentrix", "Quorvia")),
        ("Zentrix and Quorvia sign memorandum on AI safety testing", {"partnership"},
         ("Zentrix", "Quorvia")),
        ("Quorvia agrees to supply 18,000 AI chips to Zentrix", {"partnership"}, ("Quorvia", "Zentrix")),
        # company blogs: "welcome to the family" is an acquisition
        ("Welcoming Zentrix to the Quorvia family", {"acquisition"}, ("Zentrix", "Quorvia")),
        ("AI startup Zentrix joins the Quorvia family", {"acquisition"}, ("Zentrix", "Quorvia")),
        # a merger announced together is no partnership
        ("Zentrix and Quorvia Announce Merger of Equals to Lead in AI Agents", {"acquisition"}, None),
        # the money of a deal is no funding round
        ("Zentrix Signs Multi-Year GPU Supply Agreement with Quorvia Valued at USD 1.1 Billion",
         {"partnership"}, None),
        ("Zentrix, Quorvia to set up joint venture for factory AI with ¥3 billion investment",
         {"partnership"}, ("Zentrix", "Quorvia")),
        # an investor described as a company's venture fund
        ("Zentrix adds $7M Series A extension led by M12, Quorvia's venture fund", {"funding"}, None),
    ],
)
def test_phrasings_beyond_the_dev_set(title: str, events: set[str], parties: tuple[str, ...] | None) -> None:
    m = classify(title)
    assert set(m.events) == events, m.signals
    if parties is not None:
        assert set(m.parties) == set(parties), m.signals


@pytest.mark.parametrize(
    "title",
    [
        "Google launches a protocol for agent-driven purchases",  # "purchases" as a noun
        "Zentrix founder wants to merge machines and minds",  # not two companies merging
        "Quorvia to acquire a minority stake in AI startup Zentrix",  # a stake is no takeover
        "Exclusive: AI startup Zentrix buys itself more runway",  # nothing changes hands
        "Quorvia buys time with a price cut on its AI chips",
    ],
)
def test_not_an_acquisition(title: str) -> None:
    assert "acquisition" not in classify(title).events


@pytest.mark.parametrize(
    "title",
    [
        "Claude wants to partner with you on your spreadsheets",  # a product, not a deal
        "Zentrix partners with doctors to test its triage agent",
        "Opinion: Europe's banks need to merge. They still won't",  # a wish
        "Zentrix and Quorvia should partner, analyst says",
        "Policy Pulse: Zentrix backs California's SB 53",  # a bill, not a company
        "Zentrix backs state AI safety bill",
        "Quorvia to invest 1 trillion yen in offshore wind by 2035 - Nikkei",  # a byline
        "ZentrixChat acquires 100 million new users in a week",  # an audience
        "Human-AI partnership is the future of radiology, keynote says",  # a field
        "EU opens €1 billion funding call for AI factories",  # a programme to apply to
        "Meet Juno, the AI study partner that keeps teachers partners in every lesson",
    ],
)
def test_no_alliance(title: str) -> None:
    assert classify(title).events == (), classify(title).signals


def test_more_phrasings_from_written_stories() -> None:
    m = classify("Zentrix Closes SAR 140 Million Series A Led by Quorvia Investments")
    assert m.events == ("funding",) and m.amount is not None and m.amount.currency == "SAR"
    m = classify("Zentrix Announces $200 Million Strategic Investment From Quorvia")
    assert set(m.events) == {"funding", "partnership"} and m.round == "strategic", m.signals
    m = classify("Why we're joining forces with Quorvia Health")
    assert m.events == ("partnership",) and m.parties == ("Quorvia Health",), m.signals
    m = classify("The Daily Brief: Thursday, Sept. 18",
                 "Zentrix has paused talks with Quorvia over an AI version of its assistant, people "
                 "familiar with the matter said.")
    assert m.events == ("partnership",) and set(m.parties) == {"Zentrix", "Quorvia"}, m.signals


def test_supply_purchase_and_money_led_headlines() -> None:
    m = classify("Quorvia to supply 6GW of AI compute to Zentrix")
    assert m.events == ("partnership",) and set(m.parties) == {"Quorvia", "Zentrix"}, m.signals
    m = classify("Weekend deal news", "Quorvia agreed to purchase Zentrix Labs, an AI observability startup.")
    assert m.events == ("acquisition",) and set(m.parties) == {"Quorvia", "Zentrix Labs"}, m.signals
    m = classify("S$15m for Singapore's Zentrix to expand clinical AI",
                 "Quorvia Ventures led the financing, joined by Nexaro.")
    assert m.events == ("funding",) and m.parties[0] == "Zentrix", m.signals
    assert set(m.parties) == {"Zentrix", "Quorvia Ventures", "Nexaro"}, m.signals
    assert m.amount is not None and m.amount.currency == "SGD"
    m = classify("Quorvia and Zentrix agree to bring AI assistants to the civil service")
    assert m.events == ("partnership",), m.signals


@pytest.mark.parametrize(
    ("title", "summary", "events", "parties"),
    [
        ("Is Zentrix about to raise again?", "The AI maker is in early discussions with investors "
         "about a round of as much as $10 billion.", {"funding"}, {"Zentrix"}),
        ("Quorvia will come preinstalled on Zentrix's next AI phones", "", {"partnership"},
         {"Quorvia", "Zentrix"}),
        ("AI startups Zentrix and Quorvia merge to chase defence contracts", "", {"acquisition"},
         {"Zentrix", "Quorvia"}),
        ("Zentrix widens Quorvia Cloud pact to one million AI chips", "", {"partnership"},
         {"Zentrix", "Quorvia Cloud"}),
        ("Nexaro to take Zentrix private in $2 billion AI deal", "", {"acquisition"}, {"Nexaro", "Zentrix"}),
        ("Orbix Music settles with Zentrix and signs on as a licensing partner for its AI", "",
         {"partnership"}, None),
        ("Zentrix raises NIS 90 million for AI vision", "", {"funding"}, {"Zentrix"}),
        # a title that only says "deal", and a summary that says which kind
        ("Zentrix's latest AI deal: $1.1 billion for an A/B testing startup",
         "Zentrix agreed to buy Quorvia in an all-stock transaction.", {"acquisition"}, None),
        # "the two companies" are the title's two
        ("Zentrix AI valuation doubles to $6.6 billion in employee tender offer", "", {"funding"}, {"Zentrix AI"}),
        ("Quorvia wins AI chip order from Zentrix in boost to foundry ambitions", "", {"partnership"},
         {"Quorvia", "Zentrix"}),
        ("Zentrix drops Quorvia from its AI phone plans after talks stall", "", {"partnership"},
         {"Zentrix", "Quorvia"}),
        ("Zentrix AI Lines Up $5 Billion of Debt in Quorvia-Led Deal", "", {"funding"}, None),
        ("Nexaro, Zentrix AI form JV to build sovereign LLMs", "", {"partnership"}, {"Nexaro", "Zentrix AI"}),
        ("Zentrix is reportedly close to a deal to use Quorvia's models for its AI assistant", "",
         {"partnership"}, None),
        ("Nexaro agrees $4.6bn take-private of AI analytics group Zentrix", "", {"acquisition"}, None),
        ("Quorvia hires Zentrix AI's founders and most of its staff in a licensing deal", "",
         {"acquisition"}, {"Quorvia", "Zentrix AI"}),
        ("Nexaro Motor, Quorvia to build 'physical AI' cluster in Korea", "", {"partnership"}, None),
        ("Zentrix-Quorvia cloud pact expands to one million AI chips", "", {"partnership"},
         {"Zentrix", "Quorvia"}),
        ("Zentrix lands another $4 billion from Quorvia, names Nexaro its primary training partner",
         "", {"funding", "partnership"}, None),
        ("Zentrix makes $34.5 billion unsolicited offer for Quorvia's AI browser", "",
         {"acquisition"}, None),
        ("Humanoid maker Zentrix walks away from Quorvia collaboration", "", {"partnership"},
         {"Zentrix", "Quorvia"}),
        ("Zentrix emerges from stealth with $28 million to secure AI agents", "The seed round was "
         "led by Quorvia Ventures.", {"funding"}, {"Zentrix", "Quorvia Ventures"}),
        ("Zentrix, Quorvia set up 50-50 venture to sell enterprise AI in Japan", "", {"partnership"},
         {"Zentrix", "Quorvia"}),
        ("Zentrix adds Quorvia's models to its AI assistant", "The move is part of an expanded "
         "agreement between the two companies.", {"partnership"}, {"Zentrix", "Quorvia"}),
        ("Zentrix becomes Quorvia's largest shareholder with €1.3 billion AI bet",
         "The chipmaker led the round, and the two companies signed a long-term collaboration agreement.",
         {"funding", "partnership"}, {"Quorvia", "Zentrix"}),
    ],
)
def test_headline_shapes(title: str, summary: str, events: set[str], parties: set[str] | None) -> None:
    m = classify(title, summary)
    assert set(m.events) == events, m.signals
    if parties is not None:
        assert set(m.parties) == parties, m.signals


@pytest.mark.parametrize(
    "title",
    [
        "European AI startups raised €12bn in Q3, data shows",  # a market total
        "Claude agents can now team up on long coding tasks",  # no company
        "How Zentrix acquired its first million users without a sales team",  # an audience
        "Musk's lawsuit over the Zentrix-Quorvia AI partnership is headed for trial",  # a lawsuit
        "Zentrix launches Zentrix Assistant, an AI work partner for every employee",  # a product
        "How to acquire your first 100 customers for an AI SaaS product",  # advice
        "Zentrix commits $50 million in grants to nonprofits through new AI fund",  # philanthropy
        "AI Startups Raised $97B Globally In Q3, Crunchbase Data Shows",  # a market total
        "Job: Head of Partnerships, Zentrix AI (London, hybrid)",  # a job
        "Talent acquisition, not GPUs, is now the bottleneck for enterprise AI teams",
        "Zentrix's AI notebook can now act as a research partner inside Quorvia Docs",  # a product
        "President signs executive order on AI chips from Zentrix",  # no deal
        "Zentrix agrees to $1.5 billion deal to settle authors' AI piracy lawsuit",  # a settlement
        "Quorvia to invest in training 1 million South Africans in AI skills",  # no company
        "Quorvia hires Zentrix's chief scientist to lead its AI lab",  # one person hired
        "Zentrix CEO: Europe doesn't need a mega-merger of its AI labs",  # an opinion
    ],
)
def test_no_alliance_in_these_shapes(title: str) -> None:
    # (and "the two companies" of a summary are the title's two)
    m = classify("Orbix lands a $5M Series A", "Orbix and Quorvia said the two companies signed an AI deal.")
    assert "partnership" not in m.events or set(m.parties) >= {"Orbix", "Quorvia"}
    assert classify(title).events == (), classify(title).signals


def test_an_exchange_debut_is_an_ipo() -> None:
    assert classify("AI chip designer Zentrix soars 80% in KOSDAQ debut",
                    "The company raised ₩120 billion in its listing.").events == ()
    assert classify("Zentrix shares jump in Nasdaq debut").events == ()


def test_wire_tags_are_not_part_of_names() -> None:
    assert classify("Exclusive-Zentrix AI in talks to raise $1 billion, sources say").parties == ("Zentrix AI",)
    assert set(classify("EXCLUSIVE-Zentrix nears deal with Quorvia").parties) == {"Zentrix", "Quorvia"}


def test_government_spending_is_no_funding() -> None:
    assert classify("Cabinet approves ₹10,000 crore funding for national AI mission").events == ()
    assert classify("Government earmarks $2 billion in funding for AI compute").events == ()
    # a fund close is still vetoed, possessive or not
    assert "funding" not in classify("Quorvia's new $500M AI fund backs Zentrix").events


def test_talks_to_buy_or_raise_are_not_partnership_talks() -> None:
    assert "partnership" not in classify("Zentrix in talks with Quorvia to buy its chip unit").events
    assert "partnership" not in classify("Zentrix in talks with investors to raise $50M").events
    assert "partnership" not in classify("Zentrix in talks with SoftBank about a $1B investment").events


@pytest.mark.parametrize(
    ("title", "summary", "events", "parties"),
    [
        # a summary sentence about "the startup" is about the title's company
        ("Japan's answer to OpenAI? Zentrix comes of age",
         "The Tokyo AI developer closed a ¥10 billion Series C, with Quorvia among investors.",
         {"funding"}, ("Zentrix", "Quorvia")),
        ("Zentrix goes it alone",
         "The robotics startup said it had ended its collaboration agreement with Quorvia.",
         {"partnership"}, ("Zentrix", "Quorvia")),
        ("Exclusive: Zentrix buys itself more runway",
         "The voice-agent startup has landed an $8 million bridge round from Nexaro Ventures.",
         {"funding"}, ("Zentrix", "Nexaro Ventures")),
        ("What Quorvia's latest move means for Europe",
         "Quorvia has agreed to supply 18,000 of its chips to Zentrix for a compute platform.",
         {"partnership"}, ("Quorvia", "Zentrix")),
        # no named company in the sentence, and nothing happened
        ("Zentrix comes of age", "The company said demand for its AI agents was strong.", set(), ()),
    ],
)
def test_summary_news_about_the_title_company(title: str, summary: str, events: set[str],
                                              parties: tuple[str, ...]) -> None:
    m = classify(title, summary)
    assert set(m.events) == events, m.signals
    assert m.parties == parties, m.signals
    # --explain says where the title's company came in
    assert ("parties:title-antecedent" in m.signals) == (summary.startswith("The") and bool(events))


@pytest.mark.parametrize(
    "title",
    [
        "Quorvia sold $2B of shares in AI chipmaker Zentrix",  # an investor selling a holding
        "Quorvia launches tender offer for Zentrix shares",  # a takeover bid, not a round
    ],
)
def test_share_sales_that_are_not_funding(title: str) -> None:
    assert "funding" not in classify(title).events, classify(title).signals


@pytest.mark.parametrize(
    "title",
    [
        "Readers pick Zentrix as the best AI app of the year",  # an award, not a provider deal
        "Zentrix Overtakes Quorvia As Marketers’ Favourite AI Partner",  # a ranking
        "Insight Partners Leads Round in AI startup Zentrix",  # "Partners" in a name
        "Zentrix scoops up Quorvia in AI consolidation",  # a purchase
    ],
)
def test_selection_phrasings_that_are_not_partnerships(title: str) -> None:
    assert "partnership" not in classify(title).events, classify(title).signals






def test_a_dropped_hit_leaves_no_parties() -> None:
    # "AI Deal" alone (kind-deal) finds one party and is dropped (it needs two); the ending
    # rule keeps the pair in reading order, subject first.
    m = classify("Quorvia Exits Zentrix AI Deal After Licensing Row")
    assert "drop:partnership:kind-deal:parties" in m.signals
    assert m.parties == ("Quorvia", "Zentrix")


def test_summary_purchases_need_an_organisation() -> None:
    # Personal blogs "buy" things all the time: no organisation after the verb, no takeover.
    m = classify("Workshop notes", "So I bought some plywood and a new saw for the mast.")
    assert "acquisition" not in m.events, m.signals
    # A passive purchase names the buyer after "by".
    m = classify("Zentrix update", "The AI startup Zentrix was acquired by Quorvia Systems for $40M.")
    assert "acquisition" in m.events, m.signals
    m = classify("Zentrix update", "Quorvia Systems acquired AI startup Zentrix for $40M.")
    assert "acquisition" in m.events, m.signals


def test_discourse_words_and_pronouns_are_not_parties() -> None:
    m = classify("Notes", "Well, I've decided that Quorvia acquired Zentrix Labs for a reason.")
    assert not {"Well", "I've"} & set(m.parties), m.parties


@pytest.mark.parametrize(
    "title",
    [
        "Zentrix revenue hits $2B as AI demand grows",  # revenue, not a valuation
        "Zentrix invests in AI skills for its staff",  # no company is invested in
        "Zentrix's AI teams join forces internally to ship faster",  # one company
        "The AI partnership boom, explained",  # no organisation at all
        "Zentrix CEO says the company is open to partnerships with AI labs",  # hypothetical
    ],
)
def test_alliance_words_without_an_alliance(title: str) -> None:
    m = classify(title)
    assert not {"partnership", "funding"} & set(m.events), m.signals


def test_valuation_verbs_still_fire_with_the_word_valuation() -> None:
    assert "funding" in classify("AI startup Zentrix hits $3B valuation in new round").events
    assert "funding" in classify("AI startup Zentrix nears $1B valuation").events


def test_summaries_carry_talks_and_not_history() -> None:
    m = classify("Zentrix's next move",
                 "AI startup Zentrix is in talks to raise new funding at a $3 billion valuation.")
    assert m.events == ("funding",) and m.parties == ("Zentrix",), m.signals
    # an earlier deal named as background is not the story's news
    m = classify("Zentrix launches AI app",
                 "The app follows Zentrix's 2023 partnership with Quorvia and adds AI search.")
    assert m.events == (), m.signals
    m = classify("Zentrix revisits its 2021 acquisition of Quorvia AI")
    assert m.events == (), m.signals
