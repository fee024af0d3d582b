"""Is the story about AI?  (GUIDE: AI labs/companies, AI products, models, agents, AI chips
or compute, AI policy; big tech only when the text is about its AI work.)

One combined regex does the keyword part; watchlist mentions of AI-first organisations
(kind lab/startup) settle the rest.
"""

from __future__ import annotations

import re

from bot.matcher.tokens import word_start_scanner

AI_KEYWORDS = re.compile(
    r"(?<![A-Za-z])(?:AI|A\.I\.|AGI|GenAI|genAI|LLMs?|GPUs?|ML)(?![a-z])"
    r"|(?i:\bartificial intelligence\b|\bmachine[- ]learning\b|\bdeep[- ]learning\b|\bneural\b|"
    r"\blarge language models?\b|\blanguage models?\b|\bfoundation models?\b|\bfrontier models?\b|"
    r"\bchat ?bots?\b|\bgenerative\b|\bagentic\b|\bai[- ]powered\b|\bcopilots?\b|"
    r"\bChatGPT\b|\bGPT-?\d|\bClaude\b|\bGemini\b|\bLlama\b|\bGrok\b|\bSora\b|\bMidjourney\b|"
    r"\bStable Diffusion\b|\bsuperintelligence\b|\bself-driving\b|\bautonomous (?:vehicles?|driving|"
    r"trucks?|cars?|agents?)\b|\brobotaxis?\b|\bhumanoids?\b|\brobotics\b|\brobots?\b|"
    r"\bcomputer vision\b|\bfac(?:e|ial) recognition\b|\bspeech recognition\b|\bvoice cloning\b|"
    r"\bdeepfakes?\b|\bAI agents?\b|\bintelligent agents?\b|\bdata cent(?:er|re)s? for AI\b|"
    # model inference, not type inference in a compiler or inference in statistics
    r"(?<!type )(?<!types )(?<!statistical )(?<!causal )(?<!bayesian )\binference\b)"
)


def ai_keyword(text: str) -> re.Match[str] | None:
    """The first AI keyword in ``text``, or None."""
    return AI_KEYWORDS.search(text)


# Single words that settle "about AI" (lowercase, as tokens.word_set yields them).
AI_WORDS: frozenset[str] = frozenset(
    """ai a.i agi genai llm llms gpu gpus ml chatbot chatbots generative agentic copilot copilots
    chatgpt gpt claude gemini llama grok sora midjourney siri alexa superintelligence robotaxi
    robotaxis humanoid humanoids robotics robot robots deepfake deepfakes inference neural""".split()
)
# Multi-word keywords, checked only when no single word settled it.
_AI_PHRASE = re.compile(
    r"(?i:artificial intelligence|machine[- ]learning|deep[- ]learning|language model|foundation model|"
    r"frontier model|chat ?bot|self-driving|autonomous (?:vehicle|driving|truck|car|agent)|"
    r"computer vision|fac(?:e|ial) recognition|speech recognition|voice (?:cloning|assistant)|"
    r"stable diffusion)"
)


def ai_phrase(text: str) -> bool:
    return _AI_PHRASE.search(text) is not None


# ---- fast paths on a lowercase copy (tokens.safe_lower); exact, see tokens.py --------------
# Every match of _AI_PHRASE contains one of these (lowercase) substrings.  A few ``in``
# tests (each a C-level fast search) cost less than one regex scan for the literals, which
# stops at every letter that starts one of them.
_AI_PHRASE_SUBS: tuple[str, ...] = (
    "artificial", "learning", "language model", "foundation model", "frontier model", "chat",
    "driving", "autonomous ", "vision", "recognition", "voice ", "diffusion",
)
# Every match of AI_KEYWORDS *starts* with one of these (lowercased) literals.
_AI_KEYWORD_STARTS: tuple[str, ...] = (
    "ai", "a.i.", "agi", "genai", "llm", "gpu", "ml",
    "artificial intelligence", "machine", "deep", "neural", "large language model",
    "language model", "foundation model", "frontier model", "chat", "generative", "agentic",
    "copilot", "gpt", "claude", "gemini", "llama", "grok", "sora", "midjourney",
    "stable diffusion", "superintelligence", "self-driving", "autonomous ", "robot",
    "humanoid", "computer vision", "face recognition", "facial recognition",
    "speech recognition", "voice cloning", "inference", "intelligent agent", "data cent",
)


_AI_KEYWORD_SCAN = word_start_scanner(_AI_KEYWORD_STARTS)


def ai_phrase_low(text: str, low: str | None) -> bool:
    """``ai_phrase(text)``; ``low`` is ``safe_lower(text)`` (None: plain regex)."""
    if low is not None:
        for sub in _AI_PHRASE_SUBS:
            if sub in low:
                break
        else:
            return False
    return _AI_PHRASE.search(text) is not None


def ai_keyword_low(text: str, low: str | None) -> re.Match[str] | None:
    """``ai_keyword(text)``; ``low`` is ``safe_lower(text)`` (None: plain regex)."""
    if low is None:
        return AI_KEYWORDS.search(text)
    # Every alternative starts at a word start ("\b" or "(?<![A-Za-z])" before a letter).
    match = AI_KEYWORDS.match
    for s in _AI_KEYWORD_SCAN.finditer(" " + low):
        m = match(text, s.start())
        if m is not None:
            return m
    return None
