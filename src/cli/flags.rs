//! The options of one subcommand: `--flag value`, `--flag=value` and bare
//! switches, read by hand (the binary has no flag-parser dependency).

/// The options given, in order.
pub struct Flags {
    values: Vec<(String, String)>,
}

impl Flags {
    /// Reads `args` against the flags that take a value (`valued`), those that
    /// may repeat (`repeated`) and the switches.
    pub fn parse(args: &[String], valued: &[&str], repeated: &[&str], switches: &[&str]) -> Result<Flags, String> {
        let mut values: Vec<(String, String)> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}: options are written --name value"));
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (flag, None),
            };
            if switches.contains(&name) {
                if inline.is_some() {
                    return Err(format!("--{name} takes no value"));
                }
                values.push((name.to_string(), String::new()));
            } else if valued.contains(&name) || repeated.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        match args.get(i) {
                            Some(v) if !v.starts_with("--") => v.clone(),
                            _ => return Err(format!("--{name} needs a value")),
                        }
                    }
                };
                if !repeated.contains(&name) && values.iter().any(|(n, _)| n == name) {
                    return Err(format!("--{name} is given twice"));
                }
                values.push((name.to_string(), value));
            } else {
                return Err(format!("unknown option --{name}"));
            }
            i += 1;
        }
        Ok(Flags { values })
    }

    /// The value of `name`, the first one when it repeats.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated flag, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// True when the flag or switch was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of `name`, or an error showing `example` when it is missing
    /// or blank.
    pub fn required(&self, name: &str, example: &str) -> Result<&str, String> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(format!("--{name} is required, e.g. --{name} {example}")),
        }
    }
}
