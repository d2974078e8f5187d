"""Multilingual topic models: parallel or comparable corpora with one modality per language
(@en, @ru, …) and the translation-dictionary regularizer R(Φ, Π) = τ Σ_u Σ_t n_ut ln Σ_w π_uwt φ_wt."""
