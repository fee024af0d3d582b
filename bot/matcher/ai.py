"""Is the story about AI?  (GUIDE: AI labs/companies, AI products, models, agents, AI chips
or compute, AI policy; big tech only when the text is about its AI work.)

One combined regex does the keyword part; watchlist mentions of AI-first organisations
(kind lab/startup) settle the rest.
"""

from __future__ import annotations

import re

AI_KEYWORDS = re.compile(
    r"(?<![A-Za-z])(?:AI|A\.I\.|AGI|GenAI|genAI|LLMs?|GPUs?|ML)(?![a-z])"
    r"|(?i:\bartificial intelligence\b|\bmachine[- ]learning\b|\bdeep[- ]learning\b|\bneural\b|"
    r"\blarge language models?\b|\blanguage models?\b|\bfoundation models?\b|\bfrontier models?\b|"
    r"\bchat ?bots?\b|\bgenerative\b|\bagentic\b|\bai[- ]powered\b|\bcopilots?\b|"
    r"\bChatGPT\b|\bGPT-?\d|\bClaude\b|\bGemini\b|\bLlama\b|\bGrok\b|\bSora\b|\bMidjourney\b|"
    r"\bStable Diffusion\b|\bsuperintelligence\b|\bself-driving\b|\bautonomous (?:vehicles?|driving|"
    r"trucks?|cars?|agents?)\b|\brobotaxis?\b|\bhumanoids?\b|\brobotics\b|\brobots?\b|"
    r"\bcomputer vision\b|\bfac(?:e|ial) recognition\b|\bspeech recognition\b|\bvoice cloning\b|"
    r"\bdeepfakes?\b|\binference\b|\bAI agents?\b|\bintelligent agents?\b|\bdata cent(?:er|re)s? for AI\b)"
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
