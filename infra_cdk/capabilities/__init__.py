"""One construct per capability of the platform; `platform_stack.SpeechPlatformStack` composes them."""
