"""Training, without streamlit: the trainer, the Train page's playground, the server's share of training time.

    settings    TrainSettings and PlaygroundSettings, and the checks that refuse what cannot work
    build       models for a task: config_for, build_model, clone_for_training
    train       the trainer: resumable chunks of optimizer steps, divergence and its restore point
    playground  one to three models trained side by side (build, tick, keep); the page's one import
    runs        what a playground is made of: Run, Playground, Snapshot, TickReport
    snapshots   weight snapshots for the scrubber, probe traces, saturation over time
    samples     what the models make of their task now: generated text, or predictions
    chart_data  what the Train page's charts show, as plain arrays (explorer.figures.train draws it)
    turns       the server-wide turnstile and the foreground's right of way
    schedule    when the Train page trains and redraws: a chunk in its turn, the page's one timer
    clipping    the clipping lab: one run with clipping, one without
"""
