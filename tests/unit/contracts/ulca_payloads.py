"""Request bodies in the exact shapes existing Dhruva and Bhashini clients send.

Field sets follow Dhruva's request schemas (AI4Bharat/Dhruva-Platform, server/schema/services/request/ and
common/) and the Bhashini pipeline compute payload (pipelineTasks + inputData); the audioUri + SRT body is
the one AI4Bharat's Chitralekha sends to Dhruva (backend/transcript/utils/asr.py). Values are ours.
"""

from __future__ import annotations

from typing import Any

AUDIO_B64 = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAACABAAZGF0YQAAAAA="  # a 44-byte WAV header

DHRUVA_ASR: dict[str, Any] = {
    "controlConfig": {"dataTracking": True},
    "config": {
        "serviceId": "ai4bharat/conformer-hi-gpu--t4",
        "language": {"sourceLanguage": "hi", "sourceScriptCode": ""},
        "audioFormat": "wav",
        "encoding": "base64",
        "samplingRate": 16000,
        "preProcessors": ["vad"],
        "postProcessors": ["itn", "punctuation"],
        "transcriptionFormat": {"value": "transcript"},
        "bestTokenCount": 0,
    },
    "audio": [{"audioContent": AUDIO_B64}],
}

CHITRALEKHA_ASR_SRT: dict[str, Any] = {
    "config": {
        "serviceId": "ai4bharat/conformer-multilingual-dravidian-gpu--t4",
        "language": {"sourceLanguage": "ta"},
        "transcriptionFormat": {"value": "srt"},
        "postProcessors": ["itn", "punctuation"],
    },
    "audio": [{"audioUri": "https://example.org/media/talk.wav"}],
}

DHRUVA_TTS: dict[str, Any] = {
    "controlConfig": {"dataTracking": False},
    "config": {
        "serviceId": "ai4bharat/indic-tts-coqui-indo_aryan-gpu--t4",
        "language": {"sourceLanguage": "hi"},
        "gender": "female",
        "samplingRate": 22050,
    },
    "input": [{"source": "नमस्ते, आप कैसे हैं?"}],
}

DHRUVA_TRANSLATION: dict[str, Any] = {
    "controlConfig": {"dataTracking": True},
    "config": {
        "serviceId": "ai4bharat/indictrans-v2-all-gpu--t4",
        "language": {
            "sourceLanguage": "en",
            "sourceScriptCode": "Latn",
            "targetLanguage": "hi",
            "targetScriptCode": "Deva",
        },
    },
    "input": [{"source": "How are you?"}, {"source": "The weather is pleasant today."}],
}

DHRUVA_TRANSLITERATION: dict[str, Any] = {
    "config": {
        "serviceId": "ai4bharat/indicxlit--cpu-fsv2",
        "language": {"sourceLanguage": "en", "targetLanguage": "hi"},
        "isSentence": False,
        "numSuggestions": 5,
    },
    "input": [{"source": "namaste"}],
}

BHASHINI_LANGUAGE_ID: dict[str, Any] = {
    "config": {"serviceId": "bhashini/indiclid"},
    "input": [{"source": "ನಮಸ್ಕಾರ"}],
}

BHASHINI_PIPELINE_ASR_TRANSLATION_TTS: dict[str, Any] = {
    "pipelineTasks": [
        {
            "taskType": "asr",
            "config": {
                "language": {"sourceLanguage": "ta"},
                "serviceId": "ai4bharat/conformer-multilingual-dravidian-gpu--t4",
                "audioFormat": "mp3",
                "samplingRate": 16000,
            },
        },
        {
            "taskType": "translation",
            "config": {
                "language": {"sourceLanguage": "ta", "targetLanguage": "hi"},
                "serviceId": "ai4bharat/indictrans-v2-all-gpu--t4",
            },
        },
        {
            "taskType": "tts",
            "config": {
                "language": {"sourceLanguage": "hi"},
                "gender": "male",
                "serviceId": "ai4bharat/indic-tts-coqui-indo_aryan-gpu--t4",
            },
        },
    ],
    "inputData": {"audio": [{"audioContent": AUDIO_B64}]},
    "controlConfig": {"dataTracking": True},
}
