"""Event triggers: linguistic patterns for partnership, funding and acquisition news.

Each rule is a named regex with an event, a strength and a scope.  Strong rules are
unambiguous phrasings ("raises $30M", "partners with", "acquires"); medium rules
("new deal", "valued at $5B", "taps X to") fire only when the text also names an
organisation.  ``summary`` scope rules also run on the summary; title-only rules
would misfire on background sentences ("... which was acquired by Meta in 2019").
Whole-story vetoes (IPO, VC fund close, shopping deal, event promotion) live in
``vetoes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from bot.matcher.tokens import word_start_scanner
from bot.types import EventType

Strength = Literal["strong", "medium"]

# An amount inside a trigger (amounts.py parses the value; this only has to locate it).
AMT_PLAIN = (
    r"(?:(?:US|U\.S\.|C|CA|A|AU|NZ|HK|S|R|MX)?\$|[€£¥₹₩₪]|Rs\.?\s?|"
    r"(?:USD|EUR|GBP|CHF|SEK|NOK|DKK|INR|JPY|CNY|RMB|CAD|AUD|SAR|AED|KRW|BRL|SGD|HKD|NZD|ZAR|ILS|NIS)\s?)"
    r"\d[\d,.]*(?:\s?\+)?(?:[\s-]?(?:thousand|million|billion|trillion|crore|lakh|mn|bn|[kKmMbBtT])\b)?\+?"
    r"|\d[\d,.]*\s?(?:thousand|million|billion|trillion|crore|lakh)\s+"
    r"(?:dollars|euros|pounds|yen|yuan|rupees|francs|kronor|won|dirhams?|riyals?|reais|shekels)"
)
# Every AMT_PLAIN match starts with a currency prefix's first letter, a currency sign or a
# digit (under an enclosing (?i:...) the class folds case exactly as the prefixes do).  Rules
# led by an amount try it at every offset; this one-class lookahead rejects most offsets
# before the engine walks AMT_PLAIN's two dozen alternatives there.  It changes no match.
AMT = r"(?=[UCANHSRMEGDIJKBZ$€£¥₹₩₪\d])(?:" + AMT_PLAIN + ")"
_Q = "['’]"  # straight or typographic apostrophe
_NAME = r"(?:[A-Z][\w&.'’+-]*|[a-z]{1,4}[A-Z][\w.&'’-]*|\d+[A-Za-z][\w.&-]*)"
_NAMES = rf"{_NAME}(?:\s{_NAME}){{0,3}}"
_QUANT = r"(?:(?:an?|another|new|fresh|over|nearly|almost|about|around|roughly|up to|more than|an additional|additional|its|a fresh|a new|some|just|a|reported(?:ly)?)\s+)*"


@dataclass(frozen=True, slots=True)
class Rule:
    signal: str
    event: EventType
    regex: re.Pattern[str]
    strength: Strength
    summary: bool  # also applies to the summary
    role: str  # how parties are read around the match (see classify.py)
    min_parties: int = 0  # named organisations the slots must yield for the hit to count
    gates: tuple[frozenset[str], ...] = ()  # each set must share a word with the text
    money: bool = False  # the pattern needs a money amount


def _r(p: str) -> re.Pattern[str]:
    return re.compile(p)


_WORDSETS = {
    "RAISEV": "raises raised raising raise secures secured securing lands landed nabs nabbed grabs grabbed "
    "bags bagged banks banked picks picked scores scored snags snagged gets got closes closed taps tapped "
    "hauls rakes pulls attracts draws receives received brings collects nets netted locks books "
    "reels reeled scoops scooped lines lined lining emerges emerged exits comes launches launched debuts",
    "ROUNDW": "seed preseed pre series round raise funding financing investment fundraise tranche extension venture",
    "DEALW": "deal deals agreement agreements pact contract contracts memorandum mou tie",
}


def _gate(*groups: str) -> tuple[frozenset[str], ...]:
    out = []
    for g in groups:
        words: set[str] = set()
        for w in g.split():
            words.update(_WORDSETS[w].split() if w in _WORDSETS else (w,))
        out.append(frozenset(words))
    return tuple(out)


_GATES: dict[str, tuple[frozenset[str], ...]] = {
    "funding:raise-amount": _gate('RAISEV'),
    "funding:amount-round": _gate('ROUNDW'),
    "funding:amount-from": _gate('from'),
    "funding:amount-for": _gate('for'),
    "funding:in-talks": _gate('talks seeks seek seeking looking set aims plans raising funding fundraising investors'),
    "funding:seeks-amount": _gate('seeks seeking'),
    "funding:round-noun": _gate('round seed funding series financing fundraising debt credit investment cash capital backing'),
    "funding:raises-series": _gate('RAISEV', 'series seed preseed pre'),
    "funding:invests-in": _gate('invests invested investing invest pours poured puts put'),
    "funding:investment-in": _gate('investment stake'),
    "funding:investment-from": _gate('investment investments backing funding financing capital', 'from'),
    "funding:backs": _gate('backs'),
    "funding:share-sale": _gate('tender secondary sale sell sells selling'),
    "funding:stake": _gate('stake percent'),
    "funding:leads-round": _gate('leads led lead', 'round series seed investment raise funding'),
    "funding:valuation": _gate('hits reaches leaps jumps soars climbs valued nears at near seeks seeking '
                               'eyes eyeing targets targeting'),
    "funding:valuation-change": _gate('valuation'),
    "funding:unicorn": _gate('unicorn'),
    "partnership:partners-with": _gate('partner partners partnered partnering', 'with'),
    "partnership:partners-obj": _gate('partners partnered'),
    "partnership:partner-to": _gate('partner partners partnered partnering'),
    "partnership:and-partner": _gate('partner', 'and'),
    "partnership:partnership": _gate('partnership partnerships'),
    "partnership:announce-partnership": _gate('partnership partnerships'),
    "partnership:team-up": _gate('team teams teamed teaming', 'up with'),
    "partnership:join-forces": _gate('forces'),
    "partnership:collaborate": _gate('collaborate collaborates collaborated collaborating collaboration'),
    "partnership:deal-verb": _gate('DEALW order orders'),
    "partnership:deal-with": _gate('DEALW alliance ties partnership', 'with between'),
    "partnership:pair-deal": _gate('deal partnership pact agreement tie alliance'),
    "partnership:kind-deal": _gate('DEALW'),
    "partnership:new-deal": _gate('DEALW partnership'),
    "partnership:license-tech": _gate('license licenses licensed licence licensing'),
    "partnership:join-program": _gate('join joins joined joining'),
    "partnership:alliance": _gate('alliance consortium coalition venture jv'),
    "partnership:expand-ties": _gate('ties relationship partnership partnerships collaboration alliance '
                                     'pact deal agreement contract'),
    "partnership:ends": _gate('access partnership deal contract agreement program programs relationship ties alliance talks '
                              'collaboration pact tie'),
    "partnership:as-partner": _gate('partner'),
    "partnership:selects": _gate('selects selected chooses choose chose picks pick picked',
                                 'as to'),
    "partnership:taps": _gate('taps tap tapped ropes roped enlists enlisted'),
    "partnership:joint-launch": _gate('launch launches unveil unveils release releases build develop co open introduce create join form announce '
                                      'pledge commit agree agreed'),
    "partnership:commits": _gate('commit commits committed'),
    "partnership:with-deal": _gate('deal partnership tie pact agreement', 'with'),
    # Rare words first: a field is only handed to the rules when it holds a first-gate word.
    "partnership:agrees-to-supply": _gate('supply provide deliver license licence host', 'agree agrees agreed to will'),
    "partnership:talks-with": _gate('talks', 'with'),
    "acquisition:acquires": _gate('acquires acquired acquiring acquire buys bought buy purchase purchases purchased snaps snapped snatches snatched scoops scooped swallows takes took over nabs nabbed absorbs absorbed'),
    "acquisition:noun": _gate('acquisition acquisitions acqui acquihire acquihires hire hires takeover buyout private'),
    "acquisition:merge": _gate('merge merges merged merging merger mergers'),
    "acquisition:sells-to": _gate('sells sold sell selling', 'to'),
    "acquisition:joins": _gate('join joins joining'),
    "acquisition:deal-to-acquire": _gate('deal agreement offer bid intent', 'acquire buy purchase take '
                                         'unsolicited takeover buyout cash hostile'),
    "acquisition:gets-acquired": _gate('acquired'),
    "acquisition:family": _gate('family'),
    "acquisition:team-hire": _gate('founders cofounders co founding team staff employees researchers engineers workforce',
                                   'hires hire hired hiring poaches poached absorbs absorbed'),
    "acquisition:pair-merge": _gate('merge', 'and'),
    "acquisition:take-private": _gate('private', 'take takes took taking'),
    "partnership:preinstalled": _gate('preinstalled pre built bundled', 'on in with'),
    "funding:top-shareholder": _gate('shareholder investor backer', 'becomes become'),
}
_MONEY_RULES = frozenset({'funding:amount-for', 'funding:amount-from', 'funding:amount-round', 'funding:raise-amount', 'funding:seeks-amount', 'funding:valuation', 'partnership:commits'})


_RAISE_VERBS = (
    r"raises|raised|raising|raise|secures|secured|securing|lands|landed|nabs|nabbed|grabs|"
    r"grabbed|bags|bagged|banks|banked|picks up|picked up|scores|scored|snags|snagged|gets|got|"
    r"closes|closed|taps|tapped|hauls in|rakes in|pulls in|attracts|draws|receives|received|"
    r"brings in|collects|nets|netted|locks in|books|reels in|reeled in|scoops|scooped|"
    r"lines up|lined up|lining up|emerges from stealth with|emerged from stealth with|"
    r"exits stealth with|comes out of stealth with|launches with|launched with|debuts with"
)

RULES: tuple[Rule, ...] = (
    # ---- funding ---------------------------------------------------------------------------
    Rule("funding:raise-amount", "funding",
         _r(rf"(?i:\b(?:{_RAISE_VERBS})\s+{_QUANT})(?:{AMT})"), "strong", True, "raise"),
    Rule("funding:amount-round", "funding",
         _r(rf"(?:{AMT})\s+(?:[\w-]+\s+){{0,2}}?(?i:pre-?seed|seed|series [a-h]\b|round|raise|"
            r"funding|financing|investment|fundraise|tranche|extension|venture round)\b"),
         "strong", True, "raise"),
    Rule("funding:amount-for", "funding",
         # A headline that opens with the money: "S$15m for Singapore's MedLingo to expand".
         _r(rf"^(?:{AMT})\s+(?i:(?:in\s+)?(?:funding\s+|financing\s+)?for)\s+"
            r"(?:[A-Z][\w.&-]*['’]s\s+)?(?=[A-Z]|[a-z]{1,4}[A-Z])"),
         "medium", False, "raise"),
    Rule("funding:amount-from", "funding",
         _r(rf"(?:{AMT})\s+(?i:(?:in\s+(?:\w+\s+)?(?:funding|financing|capital)\s+)?from)\s+"
            r"(?:the\s+)?(?=[A-Z]|[a-z]{1,4}[A-Z])"),
         "medium", True, "raise"),
    Rule("funding:in-talks", "funding",
         _r(r"(?i:\b(?:in talks to raise|in talks for (?:new |fresh )?funding|seeks? to raise|"
            r"seeking to raise|looking to raise|set to raise|aims to raise|plans to raise|"
            r"in (?:early )?(?:funding|fundraising) talks|is in talks with investors|"
            r"in (?:early |advanced |preliminary )?(?:talks|discussions) with (?:new |existing |potential )?investors)\b)"
            rf"|(?i:\b(?:is|are|now) raising\s+{_QUANT})(?:{AMT}|(?i:(?:a |new |fresh )?(?:round|funding|money|capital|cash)\b))"),
         "strong", True, "raise"),
    Rule("funding:seeks-amount", "funding",
         _r(rf"(?i:\bseek(?:s|ing)\s+{_QUANT})(?:{AMT})"), "medium", False, "raise"),
    Rule("funding:round-noun", "funding",
         _r(r"(?i:\b(?:funding round|seed round|seed funding|series [a-h] (?:round|funding|extension)|"
            r"pre-?seed (?:round|funding)|financing round|venture round|fundraising round|growth round|"
            r"bridge round|debt financing|credit facility|credit line|line of credit|new funding|fresh funding|new investment|"
            r"new cash|fresh capital|new capital|secures? backing|lands? backing|gets? backing)\b)"),
         "medium", False, "raise"),
    Rule("funding:raises-series", "funding",
         _r(rf"(?i:\b(?:{_RAISE_VERBS})\s+(?:its |a |an )?(?:series [a-h]|seed|pre-seed)\b)"),
         "strong", True, "raise"),
    Rule("funding:invests-in", "funding",
         _r(rf"(?i:\b(?:invests?|invested|investing|to invest|will invest)\s+(?:{_QUANT}(?:{AMT})\s+)?(?:in|into)\b)"
            rf"|(?i:\b(?:pours?|poured|puts?)\s+{_QUANT})(?:{AMT})\s+(?i:in|into)\b"),
         "strong", True, "investor-subject"),
    Rule("funding:investment-in", "funding",
         _r(rf"{_Q}s\s+(?:{_NAME}\s+)?(?i:investment|stake)\s+(?i:in|into)\b"
            rf"|\bits\s+{_NAME}\s+(?i:investment|stake)\b"
            r"|(?i:\b(?:makes?|made|leads?|led|announces?|closes?) (?:its |a |an )?(?:\w+ ){0,2}investment\b)"
            r"|(?i:\binvestment (?:in|into)\b)"),
         "medium", False, "investment-noun"),
    Rule("funding:investment-from", "funding",
         # The match stops before "from", so the investors are read after it (investors_after).
         _r(r"(?i:\b(?:investments?|backing|funding|financing|capital))"
            r"(?=\s+(?i:from)\s+(?:the\s+)?(?:[A-Z]|[a-z]{1,4}[A-Z]))"),
         "medium", False, "raise"),
    Rule("funding:share-sale", "funding",
         _r(r"(?i:\btender offer\b)(?=.{0,40}(?i:valu))"
            # "valuation doubles to $6.6 billion in employee tender offer"
            r"|(?i:\bvaluation\b)(?=(?:[^.;]|\.\d){0,50}(?i:\btender offer\b))"
            r"|(?i:\b(?:secondary (?:share |stock )?sale|share sale)\b)"
            rf"|(?i:\b(?:sells?|selling|to sell)\s+{_QUANT})(?:{AMT})\s+"
            r"(?i:(?:in|of|worth of)\s+(?:new\s+)?(?:shares|stock)\b)(?!\s+(?i:of|in)\b)"),
         "medium", False, "raise"),
    Rule("funding:backs", "funding",
         _r(r"(?i:\bbacks)(?!\s+(?i:out|away|down|off)\b)"
            # "backs California's SB 53": a bill, not a company
            r"(?!\s+(?:[\w’'-]+\s+){0,3}(?:SB|AB|HB|H\.R\.|(?i:bill|law|legislation|act|ballot|measure|"
            r"proposal|policy|regulation|rules|ban|moratorium))\b)"
            r"\s+(?:[a-z][\w-]*\s+){0,4}(?=[A-Z])"),
         "medium", False, "investor-subject"),
    Rule("funding:stake", "funding",
         _r(r"(?i:\b(?:takes?|taking|took|to take|buys?|bought|acquires?|acquired|picks? up)\s+"
            r"(?:an? |its |\d+% |minority |equity |\w+ ){0,3}stake\s+in\b|\bequity stake in\b|"
            r"\b(?:takes?|taking|took|to take|buys?|bought|to buy|acquires?|acquired|to acquire|picks? up)\s+"
            r"(?:an? )?\d+(?:\.\d+)?\s?(?:%|percent)\s+(?:stake\s+)?(?:of|in)\b)"),
         "medium", False, "investor-subject"),
    Rule("funding:leads-round", "funding",
         _r(rf"(?i:\b(?:leads|led|co-leads|co-led)\s+(?:an? |the |its )?)(?:(?:{AMT})\s+)?"
            r"(?:[\w-]+\s+){0,2}?(?i:round|series [a-h]|seed|investment|raise|funding)\b"),
         "strong", True, "investor-subject"),
    Rule("funding:valuation", "funding",
         _r(rf"(?i:\b(?:now valued at|valued at|at|seeks|seeking)\s+(?:an? |almost |nearly |about |over |roughly )*)"
            rf"(?:{AMT})\s*(?:\+\s*)?(?i:(?:post-money |pre-money )?valuation)?"
            # "hits $1B" alone is as often revenue: these verbs need the word valuation.
            rf"|(?i:\b(?:hits|reaches|leaps to|jumps to|soars to|climbs to|nears|near|eyes|eyeing|targets|"
            rf"targeting)\s+(?:an? |almost |nearly |about |over |roughly )*)"
            rf"(?:{AMT})\s*(?:\+\s*)?(?i:(?:post-money |pre-money )?valuation\b)"),
         "medium", False, "raise"),
    Rule("funding:valuation-change", "funding",
         _r(r"(?i:\b(?:doubled|doubles|tripled|triples|quadrupled|boosts?|ups) (?:its )?valuation\b)"),
         "medium", False, "raise"),
    Rule("funding:unicorn", "funding",
         _r(r"(?i:\bbecomes? (?:an? |the )?(?:[\w’'-]+ ){0,3}unicorn\b)"), "medium", False, "raise"),
    # ---- partnership ---------------------------------------------------------------------
    Rule("partnership:partners-with", "partnership",
         # "wants to partner with you on your spreadsheets": a product, not a deal
         _r(r"(?i:\bpartner(?:s|ed|ing)?\s+(?:up\s+)?with\b)(?!\s+(?i:you|us|users|customers|developers|"
            r"doctors|physicians|teachers|clinicians|nurses|patients|students|creators|artists|"
            r"businesses|people|families|parents|farmers|communities|humans)\b)"), "strong", True, "pair"),
    Rule("partnership:partners-obj", "partnership",
         _r(r"\bpartner(?:s|ed)\s+(?=[A-Z][\w.&'’+-]*\s+(?i:to|on|for|in)\b)"), "medium", False, "pair", 2),
    Rule("partnership:partner-to", "partnership",
         # "partners in every lesson" is a role: "in" counts before a name only
         # "an AI work partner for every employee" is a product
         _r(r"(?i:\bpartner(?:s|ed|ing)?\s+(?:up\s+)?)(?:(?i:on|to)\b|(?i:for)\b(?!\s+(?i:every|all|any|"
            r"your|you|teams|employees|developers|businesses|people|everyone|students|teachers|doctors)\b)"
            r"|(?i:in)(?=\s+(?:(?i:the)\s+)?[A-Z]))"),
         "strong", True, "pair", 2),
    Rule("partnership:and-partner", "partnership",
         _r(rf"\sand\s+(?:the\s+)?{_NAMES}\s+(?i:partner)\b"), "strong", False, "pair"),
    Rule("partnership:partnership", "partnership",
         # "Head of Partnerships" is a job
         _r(r"(?<!(?i:head of ))(?<!(?i:lead of ))(?<!(?i:vp of ))(?<!(?i:director of ))"
            r"(?i:\bpartnerships?\b)(?!\s+(?:program|programme|manager|team|lead|director)s?\b)"),
         "strong", False, "pair", 1),
    Rule("partnership:announce-partnership", "partnership",
         _r(r"(?i:\b(?:announce[sd]?|sign(?:s|ed)?|form(?:s|ed)?|strike[s]?|struck|expand(?:s|ed)?|"
            r"deepen(?:s|ed|ing)?|new|strategic|multi-?year|enter(?:s|ed)? into|launch(?:es|ed)?)\s+"
            r"(?:\w+\s+){0,3}partnerships?\b)"
            r"|(?i:\b(?:in )?partnership (?:with|between) (?:the )?)(?=[A-Z])"),
         "strong", True, "pair"),
    Rule("partnership:team-up", "partnership",
         # "agents can now team up on tasks" names no company
         _r(r"(?i:\bteam(?:s|ed|ing)?[\s-]up\b|\bteam(?:s|ed|ing)\s+with\b)"), "strong", True, "pair", 1),
    Rule("partnership:join-forces", "partnership",
         _r(r"(?i:\bjoin(?:s|ed|ing)? forces\b)"), "strong", True, "pair", 2),
    Rule("partnership:collaborate", "partnership",
         _r(r"(?i:\bcollaborat(?:e|es|ed|ing)\s+(?:with|on|to)\b|\bcollaboration\s+(?:with|between)\b)"),
         "medium", True, "pair"),
    Rule("partnership:deal-verb", "partnership",
         _r(r"(?i:\b(?:inks?|inked|signs?|signed|signing|strikes?|struck|striking|seals?|sealed|"
            r"reach(?:es|ed)?|lands?|landed|wins?|won|awarded|secures?|secured|forges?|forged|"
            r"clinch(?:es|ed)?|nears?|neared|close to|closing in on|cuts?|enters?(?: into)?|entered(?: into)?|"
            r"renegotiat\w*|renews?|renewed|finali[sz]e[sd]?|restores?|announces?|announced)"
            r"\s+(?:\S+\s+){0,5}?(?:deals?|agreements?|pact|contracts?|memorand(?:um|a)(?: of understanding)?|"
            # "Intel wins AI chip order from Mistral AI" (an executive or court order is no deal)
            r"(?<!executive )(?<!court )(?<!restraining )(?<!gag )orders?|"
            r"mou|tie-up)\b)"),
         "strong", True, "pair"),
    Rule("partnership:deal-with", "partnership",
         _r(r"(?i:\b(?:deals?|agreements?|pact|contracts?|tie-up|alliance|ties)\s+(?:with|between)\s+)"
            r"(?:the\s+)?(?=[A-Z0-9]|[a-z]{1,4}[A-Z])"
            # "an expanded agreement between the two companies" (the title names them)
            r"|(?i:\b(?:deals?|agreements?|pact|partnership|contracts?|alliance)\s+between\s+"
            r"(?:the\s+two|both)\s+(?:companies|firms|sides)\b)"),
         "strong", True, "pair", 2),
    Rule("partnership:pair-deal", "partnership",
         _r(rf"\b{_NAME}-(?!(?i:led|backed|based|owned|funded|founded|powered|made)\b){_NAME}\s+"
            r"(?:[a-z][\w-]*\s+){0,2}(?i:deal|partnership|pact|agreement|tie-up|alliance)\b"
            rf"|\b{_NAME}\s(?i:and)\s{_NAME}(?:\s{_NAME})?{_Q}s?\s+(?:{_NAME}\s+)?"
            r"(?i:deal|partnership|pact|agreement|tie-up|alliance)\b"),
         "strong", False, "pair", 1),  # "Human-AI partnership" names no company
    Rule("partnership:kind-deal", "partnership",
         _r(r"(?i:\b(?:licensing|licence|license|content|distribution|supply|compute|cloud|chip|"
            r"power|energy|data|ai|api|hosting|infrastructure|commercial|multi-?year|exclusive|"
            r"defen[cs]e|government|gpu)\s+(?:\w+\s+)?(?:deals?|agreements?|pact|contracts?)\b)"),
         "strong", False, "pair", 2),
    Rule("partnership:new-deal", "partnership",
         _r(rf"(?i:\b(?:new|latest|fresh|expanded|revised|landmark|multibillion-dollar|billion-dollar|"
            rf"blockbuster|\w+-year)\s+(?:\S+\s+){{0,2}}?(?:deal|agreement|pact)\b)"
            rf"|(?:{AMT})\+?\s+(?:[\w.-]+\s+){{0,3}}?(?i:deal|contract|agreement|partnership)\b"),
         "medium", False, "pair"),
    Rule("partnership:license-tech", "partnership",
         _r(rf"(?i:\blicen[cs]e[sd]?\b|\blicensing\b)\s+(?:\S+\s+){{0,4}}?{_NAME}{_Q}s?\s+"
            r"(?i:tech|technology|models?|content|ip|patents?|catalog(?:ue)?|music|data|chips?)\b"),
         "strong", False, "pair"),
    Rule("partnership:join-program", "partnership",
         _r(r"(?i:\bjoin(?:s|ed|ing)?\b)\s+(?:\S+\s+){0,4}?(?i:initiative|coalition|alliance|"
            r"consortium|programme|program|partnership|project|effort)\b"),
         "strong", True, "pair"),
    Rule("partnership:alliance", "partnership",
         _r(r"(?i:\b(?:forms?|formed|forming|launch(?:es|ed)?|new|announces?|announced|builds?|"
            r"building|creates?|created|unveils?|signs?|signed|strikes?|struck|enters?|entered|"
            r"sets? up|setting up|establish(?:es|ed)?)\s+"
            r"(?:\S+\s+){0,4}?(?:alliance|consortium|coalition|"
            r"joint venture|jv|50-50 venture|50:50 venture)\b|\bjoint venture\b)"),
         "strong", True, "pair"),
    Rule("partnership:expand-ties", "partnership",
         _r(r"(?i:\b(?:expands?|deepens?|deepening|strengthens?|extends?|broadens?|widens?|renews?|boosts?)\s+"
            r"(?:\S+\s+){0,3}?(?:ties|relationship|partnerships?|collaboration|alliance)\b"
            # a deal widened ("widens Google Cloud pact"); a deal "boosted" is often talks
            r"|\b(?:expands?|extends?|broadens?|widens?)\s+(?:\S+\s+){0,3}?(?:pact|deal|agreement|contract)\b)"),
         "strong", True, "pair"),
    Rule("partnership:ends", "partnership",
         _r(r"(?i:\b(?:cuts? off|ends?|ending|ended|terminates?|terminated|scraps?|scrapped|"
            r"cancels?|cancell?ed|pulls? (?:out of|the plug on)|walks? away from|revok\w+|"
            r"reviewing|reviews|suspends?|suspended|pauses?|paused|exits?|exited|exiting|quits?|"
            r"backs? out of|backed out of|abandons?|abandoned)\s+(?:\S+\s+){0,5}?"
            r"(?:access|partnership|deal|contract|agreement|programs?|relationship|ties|alliance|"
            r"collaboration|pact|tie-up)\b"
            # "Samsung drops Perplexity from Galaxy AI plans after talks stall"
            # ("after" is part of the match: "after talks stall" is this news, not background)
            r"|(?:\bafter\s+)?\btalks\s+(?:stall|stalled|collapse|collapsed|break down|broke down|"
            r"fall through|fell through)\b)"),
         "strong", False, "pair", 2),
    Rule("partnership:selects", "partnership",
         _r(r"(?i:\b(?:selects?|selected|chooses?|chose|picks?|picked)\s+)(?=[A-Z]|[a-z]{1,4}[A-Z])"
            r"(?:\S+\s+){1,4}?(?i:as\s+(?:its|their|a|an|the)\s+(?:[\w-]+\s+){0,2}?"
            r"(?:partner|provider|supplier|vendor)|to\s+(?:power|provide|supply|run|host|build|"
            r"develop|support))\b"),
         "medium", False, "pair", 2),
    Rule("partnership:as-partner", "partnership",
         _r(r"(?i:\bas (?:a |an |its |the )?(?:launch |key |strategic |founding |official |exclusive |"
            r"technology |cloud |licensing |content |distribution |infrastructure |data |"
            r"channel |reseller |integration |preferred |commercial |manufacturing )?partner\b)"
            # "signs on as Nexaro's AI infrastructure partner": sentence case only, since a
            # title-case "As Agencies' Preferred AI Partner" is a ranking, not a deal.
            rf"|\bas {_NAME}{_Q}s?\s+(?:[\w-]+\s+){{0,2}}?partner\b"
            # "names AWS its primary training partner"
            rf"|(?i:\bnames?\s+){_NAME}(?:\s{_NAME})?\s+(?i:(?:as\s+)?(?:its|their)\s+(?:[\w-]+\s+){{0,2}}?partner)\b"),
         "strong", False, "pair"),
    Rule("partnership:taps", "partnership",
         _r(r"(?i:\b(?:taps?|tapped by|ropes in|roped in|enlists|enlisted)\b)\s+(?:[a-z][\w-]*\s+){0,3}(?=[A-Z](?!I\b))"),
         "medium", False, "pair"),
    Rule("partnership:joint-launch", "partnership",
         # "Quorvia and Zentrix launch ...", "Hyundai Motor, Nvidia to build ..."
         _r(rf"{_NAME}(?:\s(?:government|ministry|state|city|council))?"
            rf"(?:,?\s(?i:and)\s{_NAMES}\s|,\s{_NAME}(?:\s{_NAME})?\s(?i:to|will)\s)"
            r"(?i:launch|launches|unveil|unveils|release|releases|"
            r"build|develop|co-develop|open|introduce|create|join|form|announce|pledge|commit|agree|agreed)\b"),
         "medium", False, "pair"),
    Rule("partnership:commits", "partnership",
         _r(rf"(?i:\bcommit(?:s|ted)?\s+{_QUANT})(?:{AMT})\s+(?i:to|in|for)\b"), "medium", False, "pair"),
    Rule("partnership:agrees-to-supply", "partnership",
         # "Nvidia has agreed to supply 18,000 chips to Mistral AI": a supply deal.
         _r(r"(?i:\bagree(?:s|d)?\s+to\s+(?:supply|provide|deliver|license|licence|host)\b"
            r"|\b(?:to|will)\s+supply\b)"),
         "medium", True, "pair", 2),
    Rule("partnership:talks-with", "partnership",
         # "Apple in talks with Perplexity over Safari search integration": a deal being
         # negotiated (talks to buy or to invest are the acquisition and funding rules').
         _r(r"(?i:\b(?:in|holds?|held|holding|opens?|opened|paused|pauses|suspends?|suspended|"
            r"resumes?|resumed|ends|ended|broke off|breaks off|enters?|entered)\s+(?:early\s+|advanced\s+|exclusive\s+|"
            r"preliminary\s+)?talks\s+with\s+)(?:the\s+)?(?=[A-Z]|[a-z]{1,4}[A-Z])"
            r"(?!.{0,60}(?i:\b(?:acqui|buy|purchas|takeover|merg|rais|invest|fund|stake|sale|sell)))"),
         "medium", True, "pair", 2),
    Rule("partnership:with-deal", "partnership",
         _r(rf"(?i:\bwith\s+){_NAMES}\s+(?i:deal|partnership|tie-up|pact|agreement)\b"),
         "strong", False, "pair"),
    # ---- acquisition -----------------------------------------------------------------------
    Rule("acquisition:acquires", "acquisition",
         _r(r"(?i:\b(?:acquires|acquired|acquiring|to acquire|will acquire|buys|bought|to buy|"
            r"to purchase|will purchase|"
            r"purchases|purchased|snaps up|snapped up|snatches up|snatched up|scoops up|scooped up|"
            r"swallows|takes over|took over|nabs|nabbed|absorbs|absorbed)\b)"
            r"(?!\s*(?:$|[.,;:!?)—–])|\s+(?:an?\s+|its\s+)?(?:\d+(?:\.\d+)?\s?(?:%|percent)|minority|stake)\b"
            # "buys itself more runway", "buys time": no company changes hands
            r"|\s+(?:itself|themselves|(?:some\s+|more\s+)?(?:time|runway))\b"
            # "acquires 100 million new users": an audience, not a company
            r"|\s+(?:(?:its|their|the|your|our|my|over|more than|nearly|about|some|first|next|[\d.,]+[kmb]?|million|"
            r"thousand|billion|bn|hundreds?|thousands|millions|of|new)\s+){0,5}"
            r"(?:users|customers|subscribers|members|followers|downloads|clients|skills?|"
            r"talent|fans|listeners|viewers|readers|players|sign-?ups)\b)"),
         "strong", True, "acq"),
    Rule("acquisition:noun", "acquisition",
         # "talent acquisition", "customer acquisition", "data acquisition": not takeovers
         _r(r"(?<!(?i:talent ))(?<!(?i:customer ))(?<!(?i:user ))(?<!(?i:data ))(?<!(?i:client ))"
            r"(?i:\bacquisitions?\b(?!\s+(?:playbook|strategy|strategies|spree|binge|targets?|"
            r"appetite|machine|engine|costs?|and other))|\bacqui-?hires?\b|\btakeover\b|\bbuyout\b|"
            r"\btake-private\b)"),
         "strong", False, "acq-noun"),
    Rule("acquisition:merge", "acquisition",
         _r(r"(?i:\bmerg(?:es|ed|ing|e)\s+(?:with|into)\b|\bpost-merger\b|\bmergers?\b|"
            r"\bto merge(?=\s*(?:$|[,.;:!?(—–]|\s-\s|(?:with|into|in|as|after|for|under|amid|by|to|"
            r"operations|businesses|companies)\b)))"),
         "strong", False, "pair"),
    Rule("acquisition:sells-to", "acquisition",
         _r(rf"(?i:\b(?:sells|sold|to sell|selling)\s+){_NAMES}\s+(?i:to)\s+(?=[A-Z])"),
         "strong", False, "sell"),
    Rule("acquisition:joins", "acquisition",
         _r(rf"(?<![\w-]){_NAME}\s+(?i:(?:to\s+|will\s+)?join(?:s|ing)?)\s+{_NAME}(?:\s{_NAME})?\s*(?:$|[,:;!?(—–]|\s-\s)"),
         "medium", False, "pair"),
    Rule("acquisition:deal-to-acquire", "acquisition",
         _r(r"(?i:\b(?:deal|agreement|offer|bid|intent)\s+to\s+(?:[a-z]+ly\s+|maybe\s+|also\s+)?"
            r"(?:acquire|buy|purchase|take over)\b"
            # "makes $34.5 billion unsolicited offer for Google's Chrome browser"
            r"|\b(?:unsolicited|takeover|buyout|all-cash|hostile)\s+(?:offer|bid)\b)"),
         "strong", True, "acq"),
    Rule("acquisition:family", "acquisition",
         # "Welcoming Foo to the Bar family", "Foo joins the Bar family": a company blog's
         # word for an acquisition.
         _r(rf"(?i:\b(?:welcom(?:es|ed|ing|e)|joins?|joined|joining))\s+(?:(?:{_NAMES})\s+)?(?i:to\s+)?"
            rf"(?i:the)\s+{_NAMES}\s+(?i:family)\b"),
         "strong", False, "acq"),
    Rule("acquisition:pair-merge", "acquisition",
         # "Nordlicht and Quanterra merge to chase ...": two companies merging.
         _r(rf"{_NAME}\s(?i:and|&)\s{_NAMES}\s+(?i:(?:to\s+|will\s+|agree\s+to\s+)?merge)\b"),
         "strong", False, "pair", 2),
    Rule("acquisition:take-private", "acquisition",
         _r(rf"(?i:\b(?:to take|takes|took|will take|taking))\s+{_NAMES}\s+(?i:private)\b"),
         "strong", False, "acq"),
    Rule("partnership:preinstalled", "partnership",
         # "Perplexity will come preinstalled on Samsung's next Galaxy phones": distribution.
         _r(r"(?i:\b(?:come|comes|be|ship|ships|shipped|shipping|arrive|arrives)\s+(?:pre-?installed|"
            r"built in|built-in|bundled)\s+(?:on|in|with)\b)"),
         "medium", True, "pair", 2),
    Rule("funding:top-shareholder", "funding",
         # "ASML becomes Mistral AI's largest shareholder with €1.3 billion bet"
         _r(r"(?i:\bbecomes?\s+)(?:[\w.&-]+(?:[’']s)?\s+){1,3}?(?i:(?:largest|biggest|top|major|"
            r"second-largest|leading)\s+(?:outside\s+)?(?:shareholder|investor|backer))\b"),
         "strong", False, "investment-noun"),
    Rule("acquisition:team-hire", "acquisition",
         # "Microsoft hires Parlance AI's founders and most of its staff": an acqui-hire
         # (one executive hired away is not).
         _r(rf"(?i:\b(?:hires?|hired|hiring|poaches|poached|absorbs|absorbed)\s+){_NAMES}{_Q}s?\s+"
            r"(?i:(?:co-?)?founders|founding team|entire team|whole team|team|staff|employees|researchers|"
            r"engineers|workforce)\b"),
         "strong", False, "acq"),
    Rule("acquisition:gets-acquired", "acquisition",
         _r(r"(?i:\b(?:gets|get|got|been|be|being|is|was)\s+acquired\b)"), "strong", False, "acq"),
)

RULES = tuple(
    Rule(r.signal, r.event, r.regex, r.strength, r.summary, r.role, r.min_parties,
         _GATES[r.signal], r.signal in _MONEY_RULES)
    for r in RULES
)

# Background phrasing: an event mentioned only as history ("months after snatching up X",
# "which was acquired by Y") is not the story's news.
BACKGROUND_BEFORE = re.compile(
    r"(?i:\b(?:after|since|following|months after|weeks after|years after|which|"
    r"once|previously|formerly|recently)\s+(?:\w+\s+)?$)"
    r"|(?i:(?:n['’]t|\bnot|\bnever|\bno|\bwithout|\bopen to)\s+(?:\w+\s+){0,2}(?:\w+-)?$)"
    # "Europe's banks need to merge", "should partner with": a wish, not news
    r"|(?i:\b(?:should|must|needs?|ought)\s+$)"
    # "Musk's lawsuit over the OpenAI-Microsoft partnership": the news is the lawsuit
    r"|(?i:\b(?:lawsuit|suit|probe|investigation|inquiry|scrutiny|case)\s+(?:over|into|of|against|about)"
    r"\s+(?:the\s+|its\s+)?(?:\S+\s+){0,2}$)"
    # "The app follows Acme's 2023 partnership with Foo": an earlier event.
    r"|(?i:\b(?:follows|followed)\s+(?:\S+\s+){0,3}$)|\b(?:19|20)\d\d\s+$"
)


_AMOUNT_NEXT = re.compile(rf"\s+{_QUANT}(?:{AMT})")

# Lowercase literals one of which every match of the rule *starts* with (read off the
# patterns above; tests/test_matcher_fastpaths.py checks them against plain finditer).
# With a safe lowercase copy, the rule's regex is tried only at those offsets.
_RAISE_STARTS = (
    "rais", "secur", "land", "nab", "grab", "bag", "bank", "pick", "scor", "snag", "get", "got",
    "clos", "tap", "haul", "rake", "pull", "attract", "draw", "receive", "bring", "collect",
    "net", "lock", "book", "reel", "scoop", "line", "lining", "emerge", "exits", "comes", "launch",
    "debut",
)
_STARTS: dict[str, tuple[str, ...]] = {
    "funding:raise-amount": _RAISE_STARTS,
    "funding:raises-series": _RAISE_STARTS,
    "funding:in-talks": (
        "in ", "seek", "looking to raise", "set to raise", "aims to raise", "plans to raise",
        "is ", "are ", "now ",
    ),
    "funding:round-noun": (
        "funding round", "seed", "series", "pre", "financing round", "venture round",
        "fundraising round", "growth round", "bridge round", "debt financing", "credit facility", "credit line", "line of credit",
        "new ", "fresh ", "secure", "land", "get",
    ),
    "funding:invests-in": ("invest", "to invest", "will invest", "pour", "put"),
    "funding:leads-round": ("lead", "led", "co-le"),
    "funding:valuation": (
        "hit", "reach", "leap", "jump", "soar", "climb", "now valued", "valued", "near", "at", "seek",
        "eye", "target",
    ),
    "partnership:announce-partnership": (
        "announce", "sign", "form", "strike", "struck", "expand", "deepen", "new", "strategic",
        "multi", "enter", "launch", "in partnership", "partnership",
    ),
    "partnership:deal-verb": (
        "ink", "sign", "strik", "struck", "seal", "reach", "land", "win", "won", "awarded",
        "secur", "forg", "clinch", "near", "close to", "closing in on", "cut", "enter", "renegotiat", "renew", "finali",
        "restor", "announc",
    ),
    "partnership:deal-with": ("deal", "agreement", "pact", "contract", "tie", "alliance", "partnership"),
    "partnership:kind-deal": (
        "licen", "content", "distribution", "supply", "compute", "cloud", "chip", "power",
        "energy", "data", "ai", "api", "hosting", "infrastructure", "commercial", "multi",
        "exclusive", "defen", "government", "gpu",
    ),
    "partnership:ends": (
        "cut", "end", "terminat", "scrap", "cancel", "pull", "walk", "revok", "review",
        "suspend", "paus", "exit", "quit", "back", "abandon", "talks", "after talks",
    ),
    "acquisition:acquires": (
        "acqui", "to acquire", "will acquire", "buys", "bought", "to buy", "purchase", "snap",
        "to purchase", "will purchase",
        "snatch", "scoop", "swallows", "takes over", "took over", "nab", "absorb",
    ),
    "funding:seeks-amount": ("seek",),
    "funding:investment-from": ("investment", "backing", "funding", "financing", "capital"),
    "funding:backs": ("backs",),
    "funding:stake": (
        "take", "taking", "took", "to take", "to buy", "buy", "bought", "to acquire", "acquire", "pick",
        "equity stake",
    ),
    "funding:valuation-change": ("doubl", "tripl", "quadrupl", "boost", "ups"),
    "funding:unicorn": ("become",),
    "partnership:partners-with": ("partner",),
    "partnership:partner-to": ("partner",),
    "partnership:partnership": ("partnership",),
    "partnership:team-up": ("team",),
    "partnership:join-forces": ("join",),
    "partnership:collaborate": ("collaborat",),
    "partnership:license-tech": ("licen",),
    "partnership:join-program": ("join",),
    "partnership:alliance": (
        "form", "launch", "new", "announce", "build", "creat", "unveil", "joint venture", "sign",
        "strike", "struck", "enter", "set", "setting", "establish",
    ),
    "partnership:expand-ties": (
        "expand", "deepen", "strengthen", "extend", "broaden", "widen", "renew", "boost",
    ),
    "partnership:as-partner": ("as ", "name"),
    "partnership:taps": ("tap", "rope", "enlist"),
    "partnership:selects": ("select", "choose", "chose", "pick"),
    "partnership:partners-obj": ("partner",),
    "partnership:commits": ("commit",),
    "partnership:with-deal": ("with",),
    "partnership:agrees-to-supply": ("agree", "to supply", "will supply"),
    "partnership:talks-with": ("in ", "hold", "held", "open", "paus", "suspend", "resume", "end",
                               "broke off", "breaks off", "enter"),
    "acquisition:noun": ("acqui", "takeover", "buyout", "take-private"),
    "acquisition:merge": ("merg", "to merge", "post-merger"),
    "acquisition:sells-to": ("sell", "sold", "to sell"),
    "acquisition:deal-to-acquire": ("deal", "agreement", "offer", "bid", "intent", "unsolicited",
                                    "takeover", "buyout", "all-cash", "hostile"),
    "acquisition:gets-acquired": ("get", "got", "be", "is", "was"),
    "acquisition:family": ("welcom", "join"),
    "acquisition:team-hire": ("hire", "hiring", "poach", "absorb"),
    "acquisition:take-private": ("to take", "take", "took", "will take", "taking"),
    "partnership:preinstalled": ("come", "be", "ship", "arrive"),
    "funding:top-shareholder": ("become",),
}
_RULE_STARTS: dict[str, tuple[str, ...]] = _STARTS
# Every alternative of these rules starts with "\b" before a letter, so only word starts
# need trying (tokens.word_start_scanner).
_RULE_SCAN: dict[str, re.Pattern[str]] = {k: word_start_scanner(v) for k, v in _STARTS.items()}
# Every BACKGROUND_BEFORE match contains one of these (lowercase) literals.
_BACKGROUND_LITS: tuple[str, ...] = (
    "should", "must", "need", "ought", "suit", "probe", "investigation", "inquiry", "scrutiny",
    "case",
    "after", "since", "following", "which", "once", "previously", "formerly", "recently",
    "n't", "n’t", "no", "never", "without", "open to", "follow", "19", "20",
)

# Gates as bit masks: each (rule, gate) pair owns a bit; a word sets the bits of the gates
# holding it (``GATE_WORD_BITS``); a rule may run when all its gate bits are set.  Same test
# as ``not any(words.isdisjoint(g) for g in rule.gates)``.  Callers pass the OR of the bits
# of a field's words (classify.py gets it from one lookup pass over the words).
GATE_WORD_BITS: dict[str, int] = {}
_RULE_NEED: list[int] = []
_bit = 0
TITLE_FIRST_BITS = SUMMARY_FIRST_BITS = _SUMMARY_MASK = 0
for _rule in RULES:
    _need = 0
    for _g in _rule.gates:
        for _w in _g:
            GATE_WORD_BITS[_w] = GATE_WORD_BITS.get(_w, 0) | (1 << _bit)
        _need |= 1 << _bit
        _bit += 1
    _RULE_NEED.append(_need)
    if _rule.gates and not _rule.money:
        # Without money only non-money rules can run, and each needs a word of its first
        # gate: no such bit, no candidate.
        _first = _need & -_need  # the first gate's bit (the lowest one of the rule)
        TITLE_FIRST_BITS |= _first
        if _rule.summary:
            SUMMARY_FIRST_BITS |= _first
    if _rule.summary:
        # Summaries only run summary rules, so only those rules' gate bits matter there
        # (the candidate test ``mask & need == need`` reads no other bit).
        _SUMMARY_MASK |= _need
GATE_BITS_MASK = (1 << _bit) - 1  # every gate bit; higher bits are free for callers
# (gate mask, title?, money?) -> rules that may run; bounded by the rule set, not the input.
_CANDIDATES: dict[tuple[int, bool, bool], tuple[Rule, ...]] = {}


def _candidates(mask: int, title: bool, money: bool) -> tuple[Rule, ...]:
    key = (mask, title, money)
    rules = _CANDIDATES.get(key)
    if rules is None:
        rules = tuple(
            rule for rule, need in zip(RULES, _RULE_NEED, strict=True)
            if (title or rule.summary) and (money or not rule.money) and mask & need == need
        )
        if len(_CANDIDATES) > 4096:
            _CANDIDATES.clear()
        _CANDIDATES[key] = rules
    return rules


# One C-level search for "some literal lies wholly inside low[a:start]" (plain literals: the
# pos/endpos window means exactly what ``find(lit, a, start)`` means).
_BACKGROUND_LITS_RX = re.compile("|".join(re.escape(lit) for lit in _BACKGROUND_LITS))


def _background(text: str, low: str | None, start: int) -> bool:
    a = max(0, start - 40)
    if low is not None and _BACKGROUND_LITS_RX.search(low, a, start) is None:
        return False
    return BACKGROUND_BEFORE.search(text, a, start) is not None


class Hit(NamedTuple):
    """One rule match in one field (a tuple: cheap to build)."""

    rule: Rule
    field: Literal["title", "summary"]
    start: int
    end: int


# Necessary conditions for rules that have no start literals, searched before the full
# scan: (pattern, searched on " " + safe lowercase copy?  else on the text itself, how far
# before the condition's first hit a match can start: a number of characters, or -1 for
# "back to the previous space"; None: anywhere).
#   pair-deal: "Name-Name deal" holds a hyphen, and no whitespace between its start and it;
#   "Name and Name's deal" holds whitespace, "and", whitespace, and no space between its
#   start and that first whitespace.
#   amount-round / amount-from start with an amount: AMT holds a digit, at most 5 characters
#   ("U.S.$", "Rs. ") after the start of the amount.
#   new-deal: a word-start literal, "-year", or an amount.
_RULE_PRE: dict[str, tuple[re.Pattern[str], bool, int | None]] = {
    "partnership:pair-deal": (re.compile(r"-|\s(?i:and)\s"), False, -1),
    "funding:amount-round": (re.compile(r"\d"), False, 6),
    "funding:amount-from": (re.compile(r"\d"), False, 6),
    "partnership:new-deal": (
        re.compile(r"[^a-z](?:new|latest|fresh|expanded|revised|landmark|multibillion-dollar|"
                   r"billion-dollar|blockbuster)|-year|\d"),
        True,
        None,
    ),
}

# Per rule, what the hot loop needs: (rule, bound match, bound finditer, bound scanner
# finditer or None, "acq" role?, prefilter search or None, prefilter on the padded
# lowercase copy?, back-off).
_RUN_INFO: dict[str, tuple[Rule, Any, Any, Any, bool, Any, bool, int | None]] = {
    r.signal: (
        r, r.regex.match, r.regex.finditer,
        _RULE_SCAN[r.signal].finditer if r.signal in _RULE_SCAN else None, r.role == "acq",
        _RULE_PRE[r.signal][0].search if r.signal in _RULE_PRE else None,
        _RULE_PRE[r.signal][1] if r.signal in _RULE_PRE else False,
        _RULE_PRE[r.signal][2] if r.signal in _RULE_PRE else None,
    )
    for r in RULES
}


def find_hits(text: str, field: Literal["title", "summary"], bits: int, money: bool,
              low: str | None = None) -> list[Hit]:
    """Every rule match in ``text`` (one per rule and position), skipping background clauses.

    ``bits`` is the OR of ``GATE_WORD_BITS`` over the field's words (tokens.word_set; other
    bits above ``GATE_BITS_MASK`` are ignored) and ``money`` whether it may hold an amount;
    rules whose gate words are absent are not run at all.
    """
    title = field == "title"
    if not text or (not money and not bits & (TITLE_FIRST_BITS if title else SUMMARY_FIRST_BITS)):
        return []  # no candidate rule: every non-money rule needs a word of its first gate
    mask = bits & (GATE_BITS_MASK if title else _SUMMARY_MASK)
    hits: list[Hit] = []
    padded = None if low is None else " " + low
    bg_lits = _BACKGROUND_LITS_RX.search
    bg = BACKGROUND_BEFORE.search
    for rule in _candidates(mask, title, money):
        _, match, finditer, scan, acq, pre, pre_low, back = _RUN_INFO[rule.signal]
        pos = 0
        if pre is not None:
            if not pre_low:
                first = pre(text)
                if first is None:
                    continue
                if back is not None:
                    # No match starts before this (finditer from ``pos`` sees the whole
                    # text: lookbehinds and \b behave as in a full scan).
                    at = first.start()
                    pos = text.rfind(" ", 0, at) + 1 if back < 0 else max(0, at - back)
            elif padded is not None and pre(padded) is None:
                continue
        if scan is None or padded is None:
            found = finditer(text, pos)
        else:
            # Try the rule only at its word starts, keeping finditer's non-overlap.
            found = []
            end = 0
            for s in scan(padded):
                p = s.start()
                if p < end:
                    continue
                m = match(text, p)
                if m is not None:
                    found.append(m)
                    end = m.end()
        for m in found:
            start = m.start()
            if acq and _AMOUNT_NEXT.match(text, m.end()):
                continue  # "nabs $3M" is a raise, not a purchase
            # _background(text, low, start), inlined.
            a = start - 40 if start > 40 else 0
            if (low is None or bg_lits(low, a, start) is not None) and bg(text, a, start) is not None:
                continue
            hits.append(Hit(rule, field, start, m.end()))
    return hits
